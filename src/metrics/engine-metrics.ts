// Every metric the engine exports, defined once, in a registry of its own (several engines may run
// in one process: the tests). Labels never hold account ids, numbers or session ids: each label's
// values are a small fixed set (states, step types, ARI operations, route templates).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface EngineMetrics {
  readonly registry: Registry;
  readonly callsPlaced: Counter;
  readonly callsEnded: Counter<'state'>;
  readonly liveCalls: Gauge;
  readonly serverUp: Gauge<'server'>;
  readonly serverLiveCalls: Gauge<'server'>;
  readonly originateSeconds: Histogram<'outcome'>;
  readonly stasisToFirstStepSeconds: Histogram;
  readonly stepSeconds: Histogram<'type' | 'result'>;
  readonly gatherOutcomes: Counter<'outcome'>;
  readonly inboundRefused: Counter<'reason'>;
  readonly unownedChannelsHungUp: Counter<'server'>;
  readonly ariConnected: Gauge;
  readonly ariReconnects: Counter;
  readonly ariRequestSeconds: Histogram<'operation'>;
  readonly ariRequestErrors: Counter<'operation' | 'kind'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpRequestSeconds: Histogram<'method' | 'route'>;
  readonly webhookAttempts: Counter<'outcome'>;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly webhookDeliverySeconds: Histogram;
  readonly webhookOutboxPending: Gauge;
}

/** Values read when Prometheus scrapes rather than counted as they happen. */
export interface ScrapedSources {
  /** The outbox backlog (every worker's rows: the store's count). */
  outboxPending?: () => Promise<number>;
  /** Each Asterisk server by name (never by URL): up or down, and its live calls. */
  servers?: () => ReadonlyArray<{ name: string; up: boolean; liveCalls: number }>;
}

const LINT_REFUSED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createEngineMetrics(sources: ScrapedSources = {}): EngineMetrics {
  const registry = new Registry();
  // The event-loop lag histogram sampled every 100 ms instead of prom-client's 10 ms: a stall
  // still delays the next sample by its length, and 100 wake-ups a second were a third of an idle
  // engine's CPU.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  // prom-client's three gauges named `_total`, which `promtool check metrics` refuses (a name a
  // counter's): their per-type gauges (`nodejs_active_handles{type}`...) stay, and sum to the same.
  for (const name of LINT_REFUSED_DEFAULTS) registry.removeSingleMetric(name);
  const registers = [registry];
  return {
    registry,
    callsPlaced: new Counter({ name: 'engine_calls_placed_total', help: 'Outgoing sessions accepted (POST /sessions/outgoing created a session).', registers }),
    callsEnded: new Counter({ name: 'engine_calls_ended_total', help: 'Sessions that reached a final state, by that state.', labelNames: ['state'], registers }),
    liveCalls: new Gauge({ name: 'engine_live_calls', help: 'Sessions placed by this process and not ended yet.', registers }),
    serverUp: new Gauge({
      name: 'engine_asterisk_server_up', help: '1 while this engine\'s events WebSocket to the Asterisk server is connected (it takes new calls), else 0; by server name.',
      labelNames: ['server'], registers,
      collect() {
        for (const s of sources.servers?.() ?? []) this.set({ server: s.name }, s.up ? 1 : 0);
      },
    }),
    serverLiveCalls: new Gauge({
      name: 'engine_asterisk_server_live_calls', help: 'Calls this engine runs on each Asterisk server, by server name.',
      labelNames: ['server'], registers,
      collect() {
        for (const s of sources.servers?.() ?? []) this.set({ server: s.name }, s.liveCalls);
      },
    }),
    originateSeconds: new Histogram({
      name: 'engine_originate_duration_seconds', help: 'From the originate request (dialing) to Asterisk accepting it, retries included; outcome failed: to the session failing instead.',
      labelNames: ['outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    }),
    stasisToFirstStepSeconds: new Histogram({
      name: 'engine_stasis_start_to_first_step_seconds', help: 'From the StasisStart event reaching the engine to the flow\'s first step starting.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers,
    }),
    stepSeconds: new Histogram({
      name: 'engine_step_duration_seconds', help: 'Duration of flow steps by step type and result (next, hangup, failed, interrupted).',
      labelNames: ['type', 'result'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers,
    }),
    gatherOutcomes: new Counter({ name: 'engine_gather_outcomes_total', help: 'Gather attempts by outcome: input, no-input, no-match.', labelNames: ['outcome'], registers }),
    ariConnected: new Gauge({ name: 'engine_ari_connected', help: '1 while the ARI events WebSocket is connected and the application registered, else 0.', registers }),
    inboundRefused: new Counter({
      name: 'engine_inbound_refused_total', help: 'Calls into the application refused (hung up, cause congestion), by reason: unknown-number, no-inbound-flow, ...',
      labelNames: ['reason'], registers,
    }),
    unownedChannelsHungUp: new Counter({
      name: 'engine_unowned_channels_hung_up_total', help: 'Channels in this engine\'s Stasis application that none of its calls ran, hung up by the periodic sweep (UNOWNED_CHANNEL_SWEEP_MS), by server name.',
      labelNames: ['server'], registers,
    }),
    ariReconnects: new Counter({ name: 'engine_ari_reconnects_total', help: 'ARI connections made again after a loss.', registers }),
    ariRequestSeconds: new Histogram({
      name: 'engine_ari_request_duration_seconds', help: 'ARI REST requests by operation (originate, answer, play, stopPlayback, hangup, ...).',
      labelNames: ['operation'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers,
    }),
    ariRequestErrors: new Counter({
      name: 'engine_ari_request_errors_total', help: 'ARI REST requests that failed, by operation and kind (not-found, conflict, invalid, unavailable, failed).',
      labelNames: ['operation', 'kind'], registers,
    }),
    httpRequests: new Counter({
      name: 'engine_http_requests_total', help: 'HTTP requests by method, route template and status.',
      labelNames: ['method', 'route', 'status'], registers,
    }),
    httpRequestSeconds: new Histogram({
      name: 'engine_http_request_duration_seconds', help: 'HTTP request durations by method and route template.',
      labelNames: ['method', 'route'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers,
    }),
    webhookAttempts: new Counter({
      name: 'engine_webhook_attempts_total', help: 'Webhook delivery attempts by outcome: delivered, http-error, timeout, connection-error, destination-refused.',
      labelNames: ['outcome'], registers,
    }),
    webhookDeliveries: new Counter({
      name: 'engine_webhook_deliveries_total', help: 'Webhook deliveries finished, by outcome: delivered, abandoned (failed until the maximum age).',
      labelNames: ['outcome'], registers,
    }),
    webhookDeliverySeconds: new Histogram({
      name: 'engine_webhook_delivery_duration_seconds', help: 'From the outbox commit to the receiver answering 2xx, retries included.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600], registers,
    }),
    webhookOutboxPending: new Gauge({
      name: 'engine_webhook_outbox_pending', help: 'Webhook deliveries in the outbox not delivered nor abandoned yet (all workers).', registers,
      async collect() {
        if (!sources.outboxPending) return;
        try {
          this.set(await sources.outboxPending());
        } catch {
          // A closed or busy store keeps the last value rather than failing the whole scrape.
        }
      },
    }),
  };
}
