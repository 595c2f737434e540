//! Routes that know their own table. axum's `Router` cannot list what it serves, so every
//! feature registers its routes through [`Routes`], which adds each (method, path) to a list as
//! it routes it. [`crate::routes`] returns that list; the authorisation matrix test compares it
//! with its table, so a route without a row (or a row without a route) fails the test.
//!
//! [`get`], [`post`] and [`put`] mirror axum's functions of the same name and record the method.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::MethodRouter;

use crate::AppState;

/// One route: its method and path as registered (`{id}` for path parameters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteEntry {
    pub method: &'static str,
    pub path: String,
}

/// The handlers of one path, with the methods they answer.
pub struct Endpoint {
    methods: Vec<&'static str>,
    router: MethodRouter<AppState>,
}

pub fn get<H, T>(handler: H) -> Endpoint
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Endpoint {
        methods: vec!["GET"],
        router: axum::routing::get(handler),
    }
}

pub fn post<H, T>(handler: H) -> Endpoint
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Endpoint {
        methods: vec!["POST"],
        router: axum::routing::post(handler),
    }
}

pub fn put<H, T>(handler: H) -> Endpoint
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Endpoint {
        methods: vec!["PUT"],
        router: axum::routing::put(handler),
    }
}

impl Endpoint {
    pub fn delete<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.methods.push("DELETE");
        self.router = self.router.delete(handler);
        self
    }

    pub fn post<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.methods.push("POST");
        self.router = self.router.post(handler);
        self
    }

    pub fn put<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.methods.push("PUT");
        self.router = self.router.put(handler);
        self
    }

    /// Accept request bodies up to `bytes` (uploads) instead of axum's default.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.router = self.router.layer(DefaultBodyLimit::max(bytes));
        self
    }
}

/// A router together with the table of what it routes.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteEntry>,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

impl Routes {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    pub fn route(mut self, path: &str, endpoint: Endpoint) -> Self {
        self.table
            .extend(endpoint.methods.iter().map(|method| RouteEntry {
                method,
                path: path.to_string(),
            }));
        self.router = self.router.route(path, endpoint.router);
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.table.extend(other.table);
        self.router = self.router.merge(other.router);
        self
    }

    /// `other` served under `prefix`; its fallback answers unknown paths under the prefix.
    pub fn nest(mut self, prefix: &str, other: Routes) -> Self {
        self.table
            .extend(other.table.into_iter().map(|entry| RouteEntry {
                method: entry.method,
                path: format!("{prefix}{}", entry.path),
            }));
        self.router = self.router.nest(prefix, other.router);
        self
    }

    /// What answers paths no route matches (not a route, so not in the table).
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.fallback(handler);
        self
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteEntry>) {
        (self.router, self.table)
    }
}
