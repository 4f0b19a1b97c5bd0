//! The runtime of a `no_std` guest on wasm32: what `std` and wasi-libc would otherwise
//! provide, without importing any WASI interface.
//!
//! Linked into every plugin through its dependency on this crate.

#![allow(unsafe_code)]

/// Heap allocations go to dlmalloc over the linear memory (`memory.grow`), which is all the
/// host's memory cap limits.
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// A panic is a bug in the plugin (guest input errors are returned as `plugin-error`):
/// trap, and the host reports `PLUGIN_TRAP`. There is no stdio to print the message to.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// The canonical ABI's allocation hook: the host calls it to copy lists and strings into
/// the guest. wasi-libc provides it on wasm32-wasip2 and wit-bindgen does not, so a
/// `no_std` guest must export it itself. Same contract as wit-bindgen's own version.
///
/// # Safety
/// Called by the host per the canonical ABI: `old_ptr`/`old_len`/`align` describe a block
/// this allocator handed out (or `old_len == 0`), and `align` is a power of two.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    use alloc::alloc::{Layout, alloc, realloc};
    if new_len == 0 {
        // A zero-sized allocation needs no memory, only a well-aligned dangling pointer.
        return align as *mut u8;
    }
    let ptr = unsafe {
        if old_len == 0 {
            alloc(Layout::from_size_align_unchecked(new_len, align))
        } else {
            realloc(
                old_ptr,
                Layout::from_size_align_unchecked(old_len, align),
                new_len,
            )
        }
    };
    if ptr.is_null() {
        // Out of memory (the host's cap): trap rather than hand back a null pointer.
        core::arch::wasm32::unreachable();
    }
    ptr
}

/// `memcmp`, which compiler-generated code calls for slice and string comparisons. On
/// wasm32-wasip2 wasi-libc normally provides it (so compiler_builtins leaves it out), and
/// without it the component would import `env::memcmp`. `memcpy`/`memset` need no such
/// stand-in: the target's bulk-memory instructions replace them.
///
/// # Safety
/// `a` and `b` are valid for reads of `n` bytes (the C contract).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // A plain byte loop: LLVM has no memcmp idiom to turn it back into a call.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// `bcmp`: equality-only `memcmp`, which LLVM emits for `==` on byte slices.
///
/// # Safety
/// As [`memcmp`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    unsafe { memcmp(a, b, n) }
}
