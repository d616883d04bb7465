// Runs the registered features (main/ue/features.ts) for the signed-in account: starts them with the account's
// FeatureContext, stops them on sign-out, and turns their handlers into backend methods of the UE. The methods exist
// from the start (no Proxy, no optional methods); while no instance runs they answer the feature's idle handler or
// FEATURE_NOT_READY.
import type { UeBackend } from '../../app/ipc/contract';
import { ParleyError } from '../base/errors';
import type { ChannelTransport, Feature, FeatureContext, FeatureInstance, FeatureMethod } from '../features/feature';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFeature = Feature<any, any>;
type MethodsOf<T> = T extends Feature<infer _I, infer K> ? K : never;
/** The backend methods the features of a list answer. */
export type FeatureMethods<F extends readonly AnyFeature[]> = Pick<UeBackend, MethodsOf<F[number]> & FeatureMethod>;

type Handler = (inst: FeatureInstance, req: unknown) => Promise<unknown>;

export class FeatureHost<F extends readonly AnyFeature[]> {
  readonly #running = new Map<AnyFeature, FeatureInstance>();
  #signedIn = false;
  #starting: Promise<void> = Promise.resolve();

  constructor(
    readonly features: F,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts every feature (in list order, but those named in `skip`) for an account; one that fails stays unavailable. */
  start(ctx: FeatureContext, skip: ReadonlySet<string> = new Set()): Promise<void> {
    const run = async () => {
      this.#signedIn = true;
      for (const f of this.features) {
        if (skip.has(f.name)) continue;
        try {
          this.#running.set(f, await f.start(ctx));
        } catch (e) {
          this.log(`${f.name} unavailable: ${(e as Error).message}`);
        }
      }
    };
    this.#starting = this.#starting.then(run);
    return this.#starting;
  }

  /** Stops the running instances (reverse order). */
  async stop(): Promise<void> {
    await this.#starting;
    const running = [...this.#running].reverse();
    this.#running.clear();
    this.#signedIn = false;
    for (const [f, inst] of running) await inst.stop().catch((e: unknown) => this.log(`${f.name}: stop: ${(e as Error).message}`));
  }

  /** The chat transport of a running feature (session mode), if one runs. */
  chat(): ChannelTransport | null {
    for (const inst of this.#running.values()) if (inst.chat) return inst.chat;
    return null;
  }

  /** One backend method per handler of every feature. */
  methods(): FeatureMethods<F> {
    const out: Record<string, (req: unknown) => Promise<unknown>> = {};
    for (const f of this.features) {
      const idle = (f.idle ?? {}) as Record<string, ((req: unknown) => Promise<unknown>) | undefined>;
      for (const [name, handle] of Object.entries(f.handlers as Record<string, Handler>)) {
        out[name] = async (req) => {
          await this.#starting;
          const inst = this.#running.get(f);
          if (inst) return handle(inst, req);
          const fallback = idle[name];
          if (fallback) return fallback(req);
          throw new ParleyError('FEATURE_NOT_READY', this.#signedIn ? `${f.name} could not start for this account` : 'not signed in');
        };
      }
    }
    return out as unknown as FeatureMethods<F>;
  }
}
