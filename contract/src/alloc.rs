//! A bump allocator for the wasm build. A contract call is short-lived and
//! its memory is discarded when it ends, so freeing is skipped: this saves the
//! general-purpose allocator's code (about 7 kB of wasm) and its gas on every
//! allocation. A reallocation of the latest block grows it in place.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;

const PAGE: usize = 65_536;

pub struct Bump {
    /// Next free address and the end of the memory grown so far.
    state: UnsafeCell<(usize, usize)>,
}

// SAFETY: a wasm contract runs on one thread.
unsafe impl Sync for Bump {}

impl Bump {
    pub const fn new() -> Self {
        Self { state: UnsafeCell::new((0, 0)) }
    }
}

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let state = &mut *self.state.get();
        if state.1 == 0 {
            let pages = core::arch::wasm32::memory_size(0);
            state.0 = pages * PAGE;
            state.1 = pages * PAGE;
        }
        let start = (state.0 + layout.align() - 1) & !(layout.align() - 1);
        let Some(end) = start.checked_add(layout.size()) else {
            return core::ptr::null_mut();
        };
        if end > state.1 {
            let pages = (end - state.1).div_ceil(PAGE);
            if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
                return core::ptr::null_mut();
            }
            state.1 += pages * PAGE;
        }
        state.0 = end;
        start as *mut u8
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let state = &mut *self.state.get();
        let last = ptr as usize + layout.size() == state.0;
        if last && ptr as usize + new_size <= state.1 {
            state.0 = ptr as usize + new_size;
            return ptr;
        }
        if new_size <= layout.size() {
            return ptr;
        }
        let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
        if !new.is_null() {
            core::ptr::copy_nonoverlapping(ptr, new, layout.size());
        }
        new
    }
}
