/**
 * SAS renewal over simulated days (a slow link: 400 ms each way, telemetry every second, so
 * renewals often find a message in flight): HubClient (src/iothub) over the real MQTT client, talking to
 * a simulated broker (test/fault/sim-broker) that checks every token with the emulator's own SAS
 * verifier and closes a connection when its token expires, as IoT Hub does. Telemetry every
 * `telemetryEveryMs`, numbered; the broker records when each number arrived.
 *
 *   renewals     planned reconnects (DISCONNECT then CONNECT with a new token); 1 h tokens are
 *                renewed at 80%, so about every 48 min: 24 h -> 30
 *   expiredKicks connections the broker closed for an expired token (must be 0)
 *   maxGapMs     largest interval between consecutive telemetry arrivals (the telemetry period
 *                plus at most the reconnect's round trips)
 *   lost         numbers sent but never received; duplicates received twice
 */
import { HubClient } from '../../src/iothub/hub-client';
import { MqttClient } from '../../src/mqtt/client';
import { checkSasToken, parseSasToken } from '../../simulator/hub/sas';
import { SimBroker } from '../fault/sim-broker';
import { SimTime } from '../iothub/sim';

export interface SasRenewalOptions {
  hours: number;
  sasLifetimeS?: number;
  telemetryEveryMs?: number;
  latencyMs?: number;
}

export interface SasRenewalResult {
  simulatedHours: number;
  sasLifetimeS: number;
  renewals: number;
  /** Renewals that happened with telemetry in flight (kept by the session, resent). */
  inFlightAtRenewal: number;
  unplannedDisconnects: number;
  meanRenewalIntervalMin: number;
  connects: number;
  refused: number;
  expiredKicks: number;
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  maxGapMs: number;
  telemetryEveryMs: number;
  failedSends: number;
}

const KEY = Buffer.alloc(32, 7).toString('base64');
const HUB = 'soak-hub.azure-devices.net';
const DEVICE = 'soak-1';

export async function runSasRenewal(options: SasRenewalOptions): Promise<SasRenewalResult> {
  const lifetime = options.sasLifetimeS ?? 3600;
  const every = options.telemetryEveryMs ?? 1000;
  const time = new SimTime();
  const arrivals = new Map<number, number>();
  let duplicates = 0;
  const connectTimes: number[] = [];
  const broker = new SimBroker(time.clock, time.timerApi, {
    latencyMs: options.latencyMs ?? 400,
    authenticate: (connect, epoch) => {
      const token = parseSasToken(new TextDecoder().decode(connect.password ?? new Uint8Array(0)));
      if (!token || epoch === undefined) return 4;
      const check = checkSasToken(token, `${HUB}/devices/${DEVICE}`, [KEY], Math.floor(epoch / 1000));
      if (!check.ok) return 5;
      connectTimes.push(time.now);
      return 0;
    },
    expiresAt: (connect) => parseSasToken(new TextDecoder().decode(connect.password ?? new Uint8Array(0)))!.se * 1000,
    onPublish: (packet, now) => {
      if (!packet.topic.startsWith(`devices/${DEVICE}/messages/events/`)) return;
      const n = Number(new TextDecoder().decode(packet.payload));
      if (arrivals.has(n)) duplicates++;
      else arrivals.set(n, now);
    },
  });
  const host = { ...time.host(), network: broker };
  let mqtt: MqttClient | undefined;
  let renewals = 0;
  let inFlightAtRenewal = 0;
  let unplanned = 0;
  const client = new HubClient(
    {
      connectionString: `HostName=${HUB};DeviceId=${DEVICE};SharedAccessKey=${KEY}`,
      sasLifetimeS: lifetime,
      keepAliveS: 240,
      backoff: { minMs: 1000, maxMs: 30_000 },
      // The real MQTT client, kept at hand to look into its session at each renewal.
      mqtt: (o, e) => (mqtt = new MqttClient(o, host, e)),
    },
    host,
    {
      onDisconnected: (reason) => {
        if (reason.code === 'RECONNECT') {
          renewals++;
          if ((mqtt?.session.inflightCount ?? 0) > 0) inFlightAtRenewal++;
        } else if (reason.code !== 'DISCONNECTED') unplanned++;
      },
    },
  );
  let failedSends = 0;
  client.start();
  await time.advance(1000);
  let sent = 0;
  const end = options.hours * 3_600_000;
  while (time.now < end) {
    const n = sent++;
    client.sendTelemetry(String(n)).catch(() => failedSends++);
    await time.advance(every);
  }
  await time.advance(5000); // the last acknowledgements
  client.close();
  await time.advance(1000);
  const times = [...arrivals.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  let maxGap = 0;
  for (let i = 1; i < times.length; i++) maxGap = Math.max(maxGap, times[i] - times[i - 1]);
  const intervals: number[] = [];
  for (let i = 1; i < connectTimes.length; i++) intervals.push(connectTimes[i] - connectTimes[i - 1]);
  return {
    simulatedHours: options.hours,
    sasLifetimeS: lifetime,
    renewals,
    inFlightAtRenewal,
    unplannedDisconnects: unplanned,
    meanRenewalIntervalMin: intervals.length ? intervals.reduce((a, b) => a + b, 0) / intervals.length / 60_000 : 0,
    connects: broker.stats.accepted,
    refused: broker.stats.refused,
    expiredKicks: broker.stats.expiredKicks,
    sent,
    received: arrivals.size,
    lost: sent - arrivals.size,
    duplicates,
    maxGapMs: maxGap,
    telemetryEveryMs: every,
    failedSends,
  };
}

