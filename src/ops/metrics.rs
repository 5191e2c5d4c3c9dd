//! `GET /metrics` in the Prometheus text format (0.0.4): requests by dialect, route and
//! status, latency histograms, store pool use, the bcrypt queue, login throttling, and the
//! process (memory, CPU, open files). Served on its own listener (`--metrics-listen`), never
//! on the public one.

use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

use crate::error::{Error, Result};
use crate::AppState;

/// Latency buckets (seconds): from a cached read to a bcrypt login under load.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGauge,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    bcrypt_running: IntGauge,
    bcrypt_waiting: IntGauge,
    bcrypt_total: IntCounter,
    login_failures: IntCounter,
    login_throttled_refusals: IntCounter,
    login_throttled_now: IntGauge,
    read_cache_bytes: IntGauge,
    read_cache_entries: IntGauge,
    /// Scrapes copy counters kept elsewhere into this registry: one at a time.
    scrape: Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn gauge(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntGauge> {
    let g = IntGauge::new(name, help)?;
    registry.register(Box::new(g.clone()))?;
    Ok(g)
}

fn counter(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntCounter> {
    let c = IntCounter::new(name, help)?;
    registry.register(Box::new(c.clone()))?;
    Ok(c)
}

impl Metrics {
    pub fn new() -> Result<Metrics> {
        Self::build().map_err(Error::internal)
    }

    fn build() -> prometheus::Result<Metrics> {
        // Berth's own metrics are named `berth_*`; the process collector keeps the standard
        // `process_*` names.
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "berth_http_requests_total",
                "HTTP requests answered, by dialect, method, route pattern and status.",
            ),
            &["dialect", "method", "route", "status"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "berth_http_request_duration_seconds",
                "Time from receiving a request to its response, by dialect and route pattern.",
            )
            .buckets(BUCKETS.to_vec()),
            &["dialect", "route"],
        )?;
        registry.register(Box::new(duration.clone()))?;
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(Metrics {
            in_flight: gauge(
                &registry,
                "berth_http_requests_in_flight",
                "Requests being handled now.",
            )?,
            pool_connections: gauge(
                &registry,
                "berth_store_pool_connections",
                "SQLite connections open in the pool.",
            )?,
            pool_idle: gauge(
                &registry,
                "berth_store_pool_idle_connections",
                "Pooled SQLite connections not in use.",
            )?,
            pool_max: gauge(
                &registry,
                "berth_store_pool_max_connections",
                "Most SQLite connections the pool opens.",
            )?,
            bcrypt_running: gauge(
                &registry,
                "berth_bcrypt_running",
                "bcrypt verifications running now.",
            )?,
            bcrypt_waiting: gauge(
                &registry,
                "berth_bcrypt_waiting",
                "bcrypt verifications waiting for a slot.",
            )?,
            bcrypt_total: counter(
                &registry,
                "berth_bcrypt_verifications_total",
                "bcrypt verifications run since start.",
            )?,
            login_failures: counter(
                &registry,
                "berth_login_failures_total",
                "Logins refused for a wrong password or unknown account.",
            )?,
            login_throttled_refusals: counter(
                &registry,
                "berth_login_throttled_total",
                "Login attempts refused because the account and address were throttled.",
            )?,
            login_throttled_now: gauge(
                &registry,
                "berth_login_throttled_accounts",
                "Account and address pairs locked out now.",
            )?,
            read_cache_bytes: gauge(
                &registry,
                "berth_read_cache_bytes",
                "Bytes the read cache holds (keys and estimated values).",
            )?,
            read_cache_entries: gauge(
                &registry,
                "berth_read_cache_entries",
                "Entries the read cache holds.",
            )?,
            registry,
            requests,
            duration,
            scrape: Mutex::new(()),
        })
    }

    /// A request started; the guard marks it finished when dropped.
    pub fn start(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }

    /// Count one answered request.
    pub fn observe(&self, dialect: &str, method: &str, route: &str, status: &str, took: Duration) {
        self.requests
            .with_label_values(&[dialect, method, route, status])
            .inc();
        self.duration
            .with_label_values(&[dialect, route])
            .observe(took.as_secs_f64());
    }

    /// Everything, as the Prometheus text format.
    pub fn render(&self, state: &AppState) -> Result<String> {
        let _one = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        let pool = state.store.pool_state();
        self.pool_connections.set(i64::from(pool.connections));
        self.pool_idle.set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max));
        let auth = &state.auth;
        self.bcrypt_running.set(auth.bcrypt_running() as i64);
        self.bcrypt_waiting
            .set(auth.bcrypt_waiting.load(Ordering::Relaxed) as i64);
        set_counter(&self.bcrypt_total, auth.bcrypt_runs.load(Ordering::Relaxed));
        set_counter(
            &self.login_failures,
            auth.login_failures.load(Ordering::Relaxed),
        );
        set_counter(
            &self.login_throttled_refusals,
            auth.throttled_refusals.load(Ordering::Relaxed),
        );
        self.login_throttled_now.set(auth.throttled_count() as i64);
        let cache = state.store.read_cache();
        self.read_cache_bytes
            .set(i64::try_from(cache.weighted_size()).unwrap_or(i64::MAX));
        self.read_cache_entries
            .set(i64::try_from(cache.entry_count()).unwrap_or(i64::MAX));
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .map_err(Error::internal)?;
        String::from_utf8(out).map_err(Error::internal)
    }
}

/// Make `c` read `value` (a count kept elsewhere, which only grows).
fn set_counter(c: &IntCounter, value: u64) {
    let now = c.get();
    if value >= now {
        c.inc_by(value - now);
    } else {
        c.reset();
        c.inc_by(value);
    }
}

/// Marks a request finished when dropped (also when its future is cancelled).
pub struct InFlight<'a>(&'a IntGauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_copied_from_elsewhere_follow_their_source() {
        let c = IntCounter::new("c", "c").unwrap();
        set_counter(&c, 5);
        set_counter(&c, 7);
        assert_eq!(c.get(), 7);
        set_counter(&c, 2);
        assert_eq!(c.get(), 2, "a source that restarted");
    }

    #[test]
    fn observed_requests_are_counted_by_label_and_timed() {
        let m = Metrics::new().unwrap();
        m.observe(
            "dtr",
            "GET",
            "/api/v0/accounts",
            "200",
            Duration::from_millis(3),
        );
        m.observe(
            "dtr",
            "GET",
            "/api/v0/accounts",
            "200",
            Duration::from_millis(30),
        );
        m.observe(
            "dtr",
            "GET",
            "/api/v0/accounts",
            "404",
            Duration::from_millis(1),
        );
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&m.registry.gather(), &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(r#"berth_http_requests_total{dialect="dtr",method="GET",route="/api/v0/accounts",status="200"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"status="404"} 1"#), "{text}");
        assert!(
            text.contains(r#"berth_http_request_duration_seconds_bucket{dialect="dtr",route="/api/v0/accounts",le="0.005"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"berth_http_request_duration_seconds_count{dialect="dtr",route="/api/v0/accounts"} 3"#),
            "{text}"
        );
        {
            let _a = m.start();
            assert_eq!(m.in_flight.get(), 1);
        }
        assert_eq!(m.in_flight.get(), 0);
    }
}
