//! SQLite's memory from the process's own allocator.
//!
//! Left alone, SQLite calls the C library's `malloc`. Under load the writer and reader
//! threads then grow and drop glibc per-thread heaps, each growth an `mprotect` (0.35
//! system calls per chat turn, and every one of them a TLB shootdown across the
//! runtime's threads). Routed here, its pages come from the allocator the binary chose
//! (mimalloc for `sti`), which keeps them.
//!
//! SQLite frees by pointer alone and asks for sizes, so every block carries its size in a
//! 16-byte header (16 keeps the alignment SQLite and the C library promise).

use std::alloc::{Layout, alloc, dealloc, realloc};
use std::ffi::{c_int, c_void};
use std::sync::Once;

use rusqlite::ffi;

const HEADER: usize = 16;

fn layout_for(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, HEADER).ok()
}

/// The block's usable size, stored in its header.
///
/// # Safety
/// `user` came from `memory_malloc`/`memory_realloc` and was not freed.
unsafe fn size_of_block(user: *mut c_void) -> usize {
    // SAFETY: the header sits HEADER bytes before the pointer SQLite holds.
    unsafe { (user as *mut u8).sub(HEADER).cast::<usize>().read() }
}

/// # Safety
/// `base` points at a block of at least `HEADER + size` bytes.
unsafe fn finish(base: *mut u8, size: usize) -> *mut c_void {
    if base.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the block is at least HEADER bytes long and 16-aligned.
    unsafe {
        base.cast::<usize>().write(size);
        base.add(HEADER).cast()
    }
}

unsafe extern "C" fn memory_malloc(size: c_int) -> *mut c_void {
    let Some(layout) = usize::try_from(size).ok().and_then(layout_for) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the layout is never zero-sized (it includes the header).
    unsafe { finish(alloc(layout), layout.size() - HEADER) }
}

unsafe extern "C" fn memory_free(user: *mut c_void) {
    if user.is_null() {
        return;
    }
    // SAFETY: SQLite frees only what it got from `memory_malloc`/`memory_realloc`.
    unsafe {
        let size = size_of_block(user);
        if let Some(layout) = layout_for(size) {
            dealloc((user as *mut u8).sub(HEADER), layout);
        }
    }
}

unsafe extern "C" fn memory_realloc(user: *mut c_void, size: c_int) -> *mut c_void {
    if user.is_null() {
        // SAFETY: a null block reallocated is a fresh allocation.
        return unsafe { memory_malloc(size) };
    }
    let Some(new_size) = usize::try_from(size).ok().filter(|s| layout_for(*s).is_some()) else {
        return std::ptr::null_mut();
    };
    // SAFETY: `user` is live and was allocated with `layout_for(old)`.
    unsafe {
        let old = size_of_block(user);
        let Some(layout) = layout_for(old) else {
            return std::ptr::null_mut();
        };
        finish(realloc((user as *mut u8).sub(HEADER), layout, new_size + HEADER), new_size)
    }
}

unsafe extern "C" fn memory_size(user: *mut c_void) -> c_int {
    if user.is_null() {
        return 0;
    }
    // SAFETY: SQLite asks only about its live blocks.
    c_int::try_from(unsafe { size_of_block(user) }).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn memory_roundup(size: c_int) -> c_int {
    size.saturating_add(7) & !7
}

unsafe extern "C" fn memory_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn memory_shutdown(_: *mut c_void) {}

const METHODS: ffi::sqlite3_mem_methods = ffi::sqlite3_mem_methods {
    xMalloc: Some(memory_malloc),
    xFree: Some(memory_free),
    xRealloc: Some(memory_realloc),
    xSize: Some(memory_size),
    xRoundup: Some(memory_roundup),
    xInit: Some(memory_init),
    xShutdown: Some(memory_shutdown),
    pAppData: std::ptr::null_mut(),
};

/// Routes SQLite's allocations to the global allocator, once, before the first
/// connection (SQLite accepts it only before it initialises; when something opened a
/// connection earlier, it keeps the C library's allocator, which works too).
pub fn use_process_allocator() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let methods = METHODS;
        // SAFETY: SQLite copies the methods; their functions honour its contract.
        let status =
            unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &methods as *const ffi::sqlite3_mem_methods) };
        if status != ffi::SQLITE_OK {
            tracing::debug!(status, "SQLite was initialised before its allocator could be chosen");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_size_through_reallocation_and_free() {
        // SAFETY: the blocks below are used only within their sizes and freed once.
        unsafe {
            let block = memory_malloc(100);
            assert!(!block.is_null());
            assert_eq!(block as usize % HEADER, 0, "16-byte aligned");
            assert_eq!(memory_size(block), 100);
            block.cast::<u8>().write_bytes(0xAB, 100);
            let grown = memory_realloc(block, 5000);
            assert_eq!(memory_size(grown), 5000);
            assert_eq!(std::slice::from_raw_parts(grown.cast::<u8>(), 100), &[0xAB; 100][..], "contents kept");
            let shrunk = memory_realloc(grown, 10);
            assert_eq!(memory_size(shrunk), 10);
            memory_free(shrunk);
            memory_free(std::ptr::null_mut());
            assert!(memory_malloc(-1).is_null(), "a negative size is refused");
            assert_eq!(memory_size(std::ptr::null_mut()), 0);
            assert_eq!(memory_roundup(13), 16);
            let fresh = memory_realloc(std::ptr::null_mut(), 8);
            assert_eq!(memory_size(fresh), 8);
            memory_free(fresh);
        }
    }

    #[test]
    fn sqlite_runs_on_it() {
        use_process_allocator();
        let conn = rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let total: i64 = conn
            .query_row(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) \
                 SELECT sum(length(printf('%0500d', i))) FROM n",
                [],
                |row| row.get(0),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(total, 20000 * 500);
    }
}
