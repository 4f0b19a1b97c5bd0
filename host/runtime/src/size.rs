//! Input and output size limits.
//!
//! The size of a value is estimated as its serialized size in postcard (varint integers,
//! length-prefixed strings and lists), measured without allocating. It is a proxy for the
//! canonical ABI's size in guest memory (which uses fixed-width integers and 8-byte
//! pointer/length pairs, so it is somewhat larger): good enough to refuse a problem or a
//! result that is an order of magnitude too big, which is the point. The walk is linear in
//! the value, negligible next to the call.
//!
//! Residual risk, documented rather than hidden: wasmtime lifts a guest's result into host
//! values *before* we can measure it, so the output limit cannot stop a hostile guest that
//! returns a list of many strings all pointing at the same large region of its memory
//! (each element is copied). Guest memory bounds the number of elements, not the copies.
//! Fixing that needs a hook in wasmtime's lifting (or running plugins in a separate
//! process); until then the host's memory, not the sandbox's, bounds that case.

use serde::Serialize;

use crate::error::{Error, Result};

/// Estimated serialized size of `value`, in bytes.
pub fn estimate<T: Serialize + ?Sized>(value: &T) -> usize {
    // postcard fails only on types it cannot encode (none among the WIT types): count it
    // as unbounded so the limit refuses it.
    postcard::serialize_with_flavor(value, postcard::ser_flavors::Size::default())
        .unwrap_or(usize::MAX)
}

/// Refuses an input over `limit` before the guest sees it.
pub(crate) fn check_input<T: Serialize + ?Sized>(
    what: &'static str,
    value: &T,
    limit: usize,
) -> Result<()> {
    let size = estimate(value);
    if size > limit {
        return Err(Error::InputTooLarge { what, size, limit });
    }
    Ok(())
}

/// Refuses an output over `limit`.
pub(crate) fn check_output<T: Serialize + ?Sized>(
    what: &'static str,
    value: &T,
    limit: usize,
) -> Result<()> {
    let size = estimate(value);
    if size > limit {
        return Err(Error::output(format!(
            "{what} is {size} bytes, over the {limit}-byte limit"
        )));
    }
    Ok(())
}
