//! The explicit liveness check: from every reachable state, once faults
//! stop, every run reaches the goal. See the crate docs for the argument.

use crate::model::{Action, DeliveryModel};
use crate::state::{Contract, Machine, State};
use stateright::Model;
use std::collections::{HashMap, VecDeque};
use std::fmt;

/// Every reachable state (faults included), in breadth-first order, with the
/// step that first reached it and its outgoing steps.
pub struct Graph {
    pub states: Vec<State>,
    parent: Vec<Option<(usize, Action)>>,
    pub edges: Vec<Vec<(Action, usize)>>,
}

impl Graph {
    pub fn explore(model: &DeliveryModel) -> Graph {
        Graph::explore_from(model, model.init_states())
    }

    /// Every state reachable from `inits`.
    pub fn explore_from(model: &DeliveryModel, inits: Vec<State>) -> Graph {
        let mut index: HashMap<State, usize> = HashMap::new();
        let mut graph = Graph { states: Vec::new(), parent: Vec::new(), edges: Vec::new() };
        let mut queue = VecDeque::new();
        for init in inits {
            if !index.contains_key(&init) {
                index.insert(init.clone(), graph.states.len());
                queue.push_back(graph.states.len());
                graph.states.push(init);
                graph.parent.push(None);
            }
        }
        while let Some(at) = queue.pop_front() {
            let mut out = Vec::new();
            for (action, next) in model.next_steps(&graph.states[at]) {
                let to = *index.entry(next.clone()).or_insert_with(|| {
                    graph.states.push(next);
                    graph.parent.push(Some((at, action)));
                    queue.push_back(graph.states.len() - 1);
                    graph.states.len() - 1
                });
                out.push((action, to));
            }
            graph.edges.push(out);
        }
        graph
    }

    /// The steps from an initial state to `at`, as (step, state after it).
    fn path_to(&self, mut at: usize) -> (usize, Vec<(Action, usize)>) {
        let mut steps = Vec::new();
        while let Some((from, action)) = self.parent[at] {
            steps.push((action, at));
            at = from;
        }
        steps.reverse();
        (at, steps)
    }

    /// Checks AF `goal` over the steps `keep` lets through, from every
    /// reachable state in `scope`: no step it lets through leaves the scope,
    /// and every maximal run of such steps reaches a goal state.
    pub fn check_eventually(
        &self,
        name: &'static str,
        keep: impl Fn(&Action) -> bool,
        scope: impl Fn(&State) -> bool,
        goal: impl Fn(&State) -> bool,
    ) -> Result<(), Counterexample> {
        let n = self.states.len();
        let kept = |i: usize| self.edges[i].iter().filter(|(a, _)| keep(a)).map(|&(a, to)| (a, to));
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut pending = vec![0usize; n];
        for (i, steps_out) in pending.iter_mut().enumerate() {
            for (action, to) in kept(i) {
                if scope(&self.states[i]) && !scope(&self.states[to]) {
                    let (start, mut steps) = self.path_to(i);
                    let last = steps.len();
                    steps.push((action, to));
                    return Err(self.counterexample(name, Kind::LeavesScope, start, steps, last));
                }
                preds[to].push(i);
                *steps_out += 1;
            }
        }
        // Backward fixpoint: good = goal, or at least one step and every step leads to good.
        let mut good: Vec<bool> = self.states.iter().map(|s| !scope(s) || goal(s)).collect();
        let mut queue: VecDeque<usize> = (0..n).filter(|&i| good[i]).collect();
        while let Some(g) = queue.pop_front() {
            for &p in &preds[g] {
                if !good[p] {
                    pending[p] -= 1;
                    if pending[p] == 0 {
                        good[p] = true;
                        queue.push_back(p);
                    }
                }
            }
        }
        // The bad state nearest an initial state (breadth-first order), then
        // a fault-free run from it that never reaches the goal.
        let Some(bad) = (0..n).find(|&i| !good[i]) else { return Ok(()) };
        let (start, mut steps) = self.path_to(bad);
        let prefix = steps.len();
        let mut seen = HashMap::from([(bad, prefix)]);
        let mut at = bad;
        loop {
            let Some((action, to)) = kept(at).find(|&(_, to)| !good[to]) else {
                return Err(self.counterexample(name, Kind::Stall, start, steps, prefix));
            };
            steps.push((action, to));
            if let Some(&loop_at) = seen.get(&to) {
                return Err(self.counterexample(name, Kind::Livelock { loop_at }, start, steps, prefix));
            }
            seen.insert(to, steps.len());
            at = to;
        }
    }

    fn counterexample(
        &self,
        property: &'static str,
        kind: Kind,
        start: usize,
        steps: Vec<(Action, usize)>,
        faults_stop_after: usize,
    ) -> Counterexample {
        Counterexample {
            property,
            kind,
            start: self.states[start].clone(),
            steps: steps.into_iter().map(|(a, to)| (a, self.states[to].clone())).collect(),
            faults_stop_after,
        }
    }
}

/// The two liveness properties, checked on `graph`.
pub fn check(graph: &Graph) -> Result<(), Counterexample> {
    let no_fault = |a: &Action| !a.is_fault();
    graph.check_eventually(RECOVERY_ENDS, no_fault, |_| true, State::is_final)?;
    // Without a cancel, an honest recovery must conclude: a cancel is the
    // operator's choice, never the protocol's way out of a stall.
    let no_fault_no_cancel = |a: &Action| !a.is_fault() && *a != Action::OperatorCancels;
    graph.check_eventually(HONEST_RECOVERY_CONCLUDES, no_fault_no_cancel, is_operators_recovery, State::is_concluded)
}

/// The recovery to the operator's own machine, not cancelled.
pub fn is_operators_recovery(s: &State) -> bool {
    match s.contract {
        Contract::Recovery { tls_key, .. } | Contract::Running { tls_key, .. } => tls_key == Machine::New,
        Contract::Cancelled { .. } => false,
    }
}

pub const RECOVERY_ENDS: &str = "once faults stop, the recovery ends in Running or Cancelled";
pub const HONEST_RECOVERY_CONCLUDES: &str =
    "once faults stop, a recovery to the operator's machine that nobody cancels ends in Running";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A fault-free run reaches a state with no fault-free step and not the goal.
    Stall,
    /// A fault-free run returns to a state it visited (from step `loop_at` on) without the goal.
    Livelock { loop_at: usize },
    /// A step the check follows leaves the set of states it is about (a model error).
    LeavesScope,
}

/// A run that violates a liveness property: the steps from an initial state
/// (faults allowed up to `faults_stop_after` steps, none after), then the
/// fault-free stall or loop.
#[derive(Clone, Debug)]
pub struct Counterexample {
    pub property: &'static str,
    pub kind: Kind,
    pub start: State,
    pub steps: Vec<(Action, State)>,
    pub faults_stop_after: usize,
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "liveness violated: {}", self.property)?;
        writeln!(f, "  0. {}", self.start)?;
        for (i, (action, state)) in self.steps.iter().enumerate() {
            if i == self.faults_stop_after {
                writeln!(f, "  -- faults stop here; from now on only the protocol acts --")?;
            }
            writeln!(f, "     {action:?}")?;
            writeln!(f, "  {}. {state}", i + 1)?;
        }
        match self.kind {
            Kind::Stall => writeln!(f, "  STALL: no step left, and the recovery has not ended"),
            Kind::Livelock { loop_at } => {
                writeln!(f, "  LIVELOCK: back at state {loop_at}; the loop repeats forever without ending")
            }
            Kind::LeavesScope => writeln!(f, "  MODEL ERROR: the last step leaves the property's scope"),
        }
    }
}
