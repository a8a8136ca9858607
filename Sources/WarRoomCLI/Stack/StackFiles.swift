import Foundation

/// The files `warroom demo --stack` writes before starting anything: haproxy.cfg, prometheus.yml and the run's
/// warroom.yaml (the PromQL over HAProxy's own per-server metrics, from its built-in exporter).
enum StackFiles {
    /// HAProxy's backend and its two servers, as the config and the runtime API name them.
    static let backend = "app"
    static let frontend = "web"

    struct Ports: Equatable {
        var frontend: UInt16
        var metrics: UInt16
        var stable: UInt16
        var canary: UInt16
        var prometheus: UInt16
    }

    /// One HTTP frontend (`/_admin` of the backends refused) → backend `app` (stable at weight 100, canary at 0,
    /// round robin per request), the Prometheus exporter (PROMEX) on a frontend of its own, the runtime API on a
    /// unix socket at admin level.
    static func haproxyConfig(socket: String, ports: Ports) -> String {
        """
        # warroom demo --stack: HAProxy in front of the demo's two backends, running only while the demo runs.
        global
            stats socket \(socket) mode 600 level admin
            maxconn 2000
        defaults
            mode http
            timeout connect 2s
            timeout client 30s
            timeout server 10s
            timeout http-keep-alive 10s
        frontend metrics
            bind 127.0.0.1:\(ports.metrics)
            http-request use-service prometheus-exporter if { path /metrics }
        frontend \(frontend)
            bind 127.0.0.1:\(ports.frontend)
            http-request deny deny_status 403 if { path_beg /_admin }
            default_backend \(backend)
        backend \(backend)
            balance roundrobin
            server stable 127.0.0.1:\(ports.stable) weight 100
            server canary 127.0.0.1:\(ports.canary) weight 0

        """
    }

    /// Scrapes HAProxy's exporter every second.
    static func prometheusConfig(metricsPort: UInt16) -> String {
        """
        # warroom demo --stack: scrapes HAProxy's built-in exporter.
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: haproxy
            static_configs:
              - targets: ['127.0.0.1:\(metricsPort)']

        """
    }

    /// The queries, over a window of `window` (a PromQL duration): every rate is of HAProxy's per-server answer
    /// counters, so the numbers are what HAProxy saw, not what the backends say.
    static func queries(window w: String) -> (errorRate: String, canaryLatency: String, meanLatency: String, requestRate: String) {
        let answers = "haproxy_server_http_responses_total{proxy=\"\(backend)\""
        let total = "clamp_min(sum(rate(\(answers)}[\(w)])), 0.001)"
        let errorRate = "100 * sum(rate(\(answers),code=\"5xx\"}[\(w)])) / \(total)"
        // The canary's average response time while it serves (HAProxy averages its last 512 answers); 0 when it
        // serves nothing, so a rolled-back canary's last average does not linger.
        let canaryLatency = "max(haproxy_server_response_time_average_seconds{proxy=\"\(backend)\",server=\"canary\"} and on(proxy, server) "
            + "(sum by (proxy, server) (rate(\(answers),server=\"canary\"}[\(w)])) > 0)) or on() vector(0)"
        // Each server's average response time weighted by its share of the answers.
        let meanLatency = "sum(haproxy_server_response_time_average_seconds{proxy=\"\(backend)\"} * on(proxy, server) "
            + "sum by (proxy, server) (rate(\(answers)}[\(w)]))) / \(total)"
        let requestRate = "sum(rate(haproxy_frontend_http_requests_total{proxy=\"\(frontend)\"}[\(w)]))"
        return (errorRate, canaryLatency, meanLatency, requestRate)
    }

    /// warroom.yaml: the ramp moves HAProxy's weights itself (`ramp.traffic: adapter: haproxy`) and reads them back;
    /// lights and SLOs are real PromQL on Prometheus. `fast`: 5 s rate windows, 3 s holds, 2 s trip delays.
    static func warroomConfig(socket: String, ports: Ports, sharePath: String, fast: Bool) -> String {
        let q = queries(window: fast ? "5s" : "30s")
        let delay = fast ? "2s" : "10s"
        func single(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        return """
        # warroom demo --stack: a real HAProxy (127.0.0.1:\(ports.frontend)) in front of two backends (stable, canary),
        # a load generator, and Prometheus (127.0.0.1:\(ports.prometheus)) scraping HAProxy's exporter; running only
        # while `warroom demo --stack` runs. GO sets HAProxy's weights through its runtime API and reads them back.
        service: checkout-api
        checklist: checklist.md
        ramp:
          steps: [10, 25, 50, 75, 100]
          hold: \(fast ? "3s" : "20s")
          traffic:
            adapter: haproxy
            socket: \(DemoSetup.quote(socket))
            backend: \(backend)
            stable: stable
            canary: canary
            check_every: 2s
            timeout: 2s
          targets: {decide: 5m, execute: 2m, verify: 5m}
        rollback:
          - {name: Error rate spike, source: prom, unit: "%", trip: "> 5", for: \(delay), query: \(single(q.errorRate))}
          - {name: Canary latency, source: prom, unit: s, trip: "> 0.25", for: \(delay), query: \(single(q.canaryLatency))}
          - {name: Security incident, manual: true}
        sources:
          prom: {prometheus: "http://127.0.0.1:\(ports.prometheus)", interval: 1s, timeout: 1s}
          share: {file: \(DemoSetup.quote(sharePath)), field: drift_points, interval: 1s, timeout: 1s}
        slos:
          - {name: Mean response time, source: prom, unit: s, objective: "<= 0.2", warn: "<= 0.1", query: \(single(q.meanLatency))}
          - {name: Error rate, source: prom, unit: "%", objective: "< 1", warn: "< 0.5", query: \(single(q.errorRate))}
          - {name: Request rate, source: prom, unit: req/s, objective: ">= 20", query: \(single(q.requestRate))}
          - {name: Canary share drift, source: share, unit: pts, objective: "<= 5", warn: "<= 2"}

        """
    }
}
