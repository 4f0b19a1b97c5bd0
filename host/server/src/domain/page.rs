use serde::Serialize;

use super::InvalidValue;

pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Large enough for a planning screen, small enough that one request stays cheap.
pub const MAX_PAGE_SIZE: u32 = 200;

/// A checked page request: `page` counts from 1, `size` is within `1..=MAX_PAGE_SIZE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    size: u32,
}

impl PageRequest {
    /// The first page at the largest size: what an internal read of a bounded list takes.
    pub const FIRST_LARGEST: PageRequest = PageRequest {
        page: 1,
        size: MAX_PAGE_SIZE,
    };

    pub fn new(page: Option<u32>, size: Option<u32>) -> Result<Self, (&'static str, InvalidValue)> {
        let page = page.unwrap_or(1);
        let size = size.unwrap_or(DEFAULT_PAGE_SIZE);
        if page == 0 {
            return Err(("page", InvalidValue::new("must be at least 1")));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err((
                "size",
                InvalidValue::new(format!("must be between 1 and {MAX_PAGE_SIZE}")),
            ));
        }
        Ok(Self { page, size })
    }

    pub fn page(&self) -> u32 {
        self.page
    }

    pub fn size(&self) -> u32 {
        self.size
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.size)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.size)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            size: DEFAULT_PAGE_SIZE,
        }
    }
}

/// One page of a list: `{items, total, page, size}`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items matching the filters, over all pages.
    pub total: u64,
    pub page: u32,
    pub size: u32,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: u64, request: PageRequest) -> Self {
        Self {
            items,
            total,
            page: request.page,
            size: request.size,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            size: self.size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_bounds() {
        assert_eq!(
            PageRequest::new(None, None).unwrap(),
            PageRequest::default()
        );
        assert_eq!(PageRequest::new(Some(3), Some(10)).unwrap().offset(), 20);
        assert_eq!(PageRequest::new(Some(0), None).unwrap_err().0, "page");
        assert_eq!(PageRequest::new(None, Some(0)).unwrap_err().0, "size");
        assert_eq!(
            PageRequest::new(None, Some(MAX_PAGE_SIZE + 1))
                .unwrap_err()
                .0,
            "size"
        );
        assert!(PageRequest::new(Some(u32::MAX), Some(MAX_PAGE_SIZE)).is_ok());
    }
}
