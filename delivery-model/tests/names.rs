//! The model's phases are the real state machines' states, by name and in
//! order: a state added to or renamed in `node-hooks` or `backup-service`
//! must be added to or renamed in the model too.

#![allow(non_snake_case)]

use backup_service::handoff::ServiceDeliveryState;
use delivery_model::{NODE_PHASES, SERVICE_PHASES};
use node_hooks::NodeDeliveryState;

#[test]
fn node_phases__should_be_the_names_of_the_node_delivery_states() {
    let real: Vec<&str> = NodeDeliveryState::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(real, NODE_PHASES);
}

#[test]
fn service_phases__should_be_the_names_of_the_service_delivery_states() {
    let real: Vec<&str> = ServiceDeliveryState::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(real, SERVICE_PHASES);
}
