// Two agents with leader election in this process (each its own identity, both as the agent's
// ServiceAccount installed by deploy/): the standby runs nothing (no Compass call, no write), is live
// and ready as a standby and says so in /debug; the leader's term is torn down when it cannot renew
// (its writes fenced at once) and built afresh when it leads again; a handover starts a new term on
// the other agent, which resumes the connection from the cluster without a token.
import t from 'tap';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../../adapters/logger.js';
import { loadConfig } from '../../src/config.js';
import { createAgent, type Agent } from '../../src/agent/agent.js';
import { FAST_ENV, startHarness } from '../helpers/agent-harness.js';
import { calls } from '../helpers/connection-checks.js';

t.setTimeout(180_000);

const ELECTION = {
  APP_LEADER_ELECTION: 'true',
  APP_LEADER_ELECTION_LEASE_DURATION: '2s',
  APP_LEADER_ELECTION_RENEW_DEADLINE: '1500ms',
  APP_LEADER_ELECTION_RETRY_PERIOD: '400ms',
};

t.test(
  'a standby runs nothing; a leader that cannot renew tears its term down and builds a new one; a handover resumes without a token',
  async (t) => {
    const h = await startHarness({ apps: 3 });
    t.teardown(() => h.close());
    await h.writeConfigSecret();
    const logs: string[] = [];
    const start = (identity: string): Agent => {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(h.agentKubeconfigPath);
      const sink = new Writable({ write: (chunk, _e, done) => (logs.push(String(chunk)), done()) });
      const agent = createAgent({
        config: loadConfig({ ...FAST_ENV, ...ELECTION }),
        kubeConfig,
        logger: createLogger({ level: 'debug', destination: sink }),
        compassCaPem: h.sims.compass.serverCaPem,
        identity,
      });
      agent.start();
      t.teardown(() => agent.stop());
      return agent;
    };
    const a = start('agent-a');
    await h.waitFor('a to lead', () => a.leading(), 20_000);
    await h.waitForState('Synchronized', 30_000);
    const b = start('agent-b');
    await h.waitFor('b to follow a', () => b.election?.observedLeader() === 'agent-a', 20_000);

    t.equal(b.leading(), false);
    t.match(
      b.readiness(),
      { ok: true, detail: 'standby: agent-a leads (Lease kyma-system/compass-runtime-agent)' },
      'a standby that reads the Lease is ready',
    );
    t.match(b.liveness(), { ok: true, detail: /^standby/ });
    t.match(b.debug(), { leaderElection: { identity: 'agent-b', leading: false, leader: 'agent-a' }, state: null });
    t.equal(b.effects, undefined, 'no Compass effects on a standby');
    t.match(b.runtime.getSnapshot().value, 'Starting', 'an idle machine, never started');
    t.match(a.debug(), { leaderElection: { identity: 'agent-a', leading: true } });
    const byB = () => h.sims.kube.requestLog.filter((e) => e.userAgent?.includes('(agent-b)'));
    t.same(
      byB()
        .filter((e) => e.resource !== 'leases')
        .map((e) => `${e.verb} ${e.resource}`),
      [],
      'the standby sent nothing but Lease reads',
    );

    // The API server refuses every Lease update: a (and b) cannot renew; a stops its term, its writes are refused.
    const lines = () =>
      logs
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { identity?: string; msg?: string });
    const termsOfA = () => lines().filter((l) => l.identity === 'agent-a' && l.msg === 'leader election: this replica leads').length;
    h.sims.kube.faults.failNext({ verb: 'update', resource: 'leases', status: 503, times: 1_000_000 });
    await h.waitFor('a to stop leading', () => !a.leading() && logs.some((l) => l.includes('could not be renewed within 1500 ms')), 20_000);
    await h.waitFor("a's term to be torn down", () => a.readiness().detail.startsWith('standby'), 10_000);
    t.pass('a is a standby now');
    await new Promise((r) => setTimeout(r, 300)); // Compass calls already on the wire end
    const compassCalls = calls(h, 'director', 'applicationsForRuntime').length + calls(h, 'connector-mtls', 'configuration').length;
    await new Promise((r) => setTimeout(r, 2_500));
    t.equal(
      calls(h, 'director', 'applicationsForRuntime').length + calls(h, 'connector-mtls', 'configuration').length,
      compassCalls,
      'no replica talks to Compass while none leads',
    );
    h.sims.kube.faults.clear();
    await h.waitFor('a replica to lead again', () => a.leading() || b.leading(), 20_000);
    const leader = a.leading() ? a : b;
    if (leader === a) t.equal(termsOfA(), 2, 'a leads again, in a new term');
    await h.waitForSyncCycles(1, 30_000).catch(() => undefined);

    // Handover: the leader stops (SIGTERM path): the other one leads and resumes the connection with the certificate.
    const other = leader === a ? b : a;
    const tokenExchanges = calls(h, 'connector', 'configuration').length;
    await leader.stop();
    await h.waitFor('the other to lead', () => other.leading(), 10_000);
    await h.waitFor('the new leader to synchronize', () => other.readiness().detail.startsWith('client certificate valid until'), 30_000);
    t.equal(calls(h, 'connector', 'configuration').length, tokenExchanges, 'resumed with the stored certificate: no token exchange');
    t.equal(h.connection()?.status?.connectionState, 'Synchronized');
    t.match(h.sims.kube.get('coordination.k8s.io/v1', 'Lease', 'compass-runtime-agent', 'kyma-system')?.spec, {
      holderIdentity: other === a ? 'agent-a' : 'agent-b',
    });
    const leaders = h.sims.kube.list('events.k8s.io/v1', 'Event', 'default').filter((e) => e.reason === 'LeaderElected');
    t.ok(
      leaders.some((e) => e.reportingInstance === 'agent-a') && leaders.some((e) => e.reportingInstance === 'agent-b'),
      'each term told its LeaderElected Event',
    );
    t.same(
      h.sims.kube.requestLog.filter((e) => e.status === 403).map((e) => `${e.verb} ${e.path}`),
      [],
      'deploy/ grants what leader election needs',
    );
  },
);
