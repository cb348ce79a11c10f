// Controls on a live call: redirect, hold, DTMF (EndSession is session-control.ts). The session
// must be the account's (404 otherwise) and live (409 otherwise, also when it ends while the
// control runs). A call another engine runs is reached through the forwarder (remote-control.ts):
// the owner runs the same checks and its answer is returned as is.
import { AppError, type FieldError } from '../domain/errors.js';
import type { Session } from '../domain/model.js';
import { isFinal } from '../domain/session-state.js';
import type { Store } from '../store/store.js';
import type { CallEngine, ControlResult, LiveControl } from './call-engine.js';
import { readBoolean, readString, throwIfAny, type Input } from './input.js';
import type { ControlForwarder, ControlOp, ControlRequest } from './remote-control.js';

const DIGITS = /^[0-9A-Da-d*#]{1,64}$/;
const MOH_CLASS = /^[A-Za-z0-9_-]{1,64}$/;

export function notLive(session: Session, why = 'it is not live'): AppError {
  return new AppError('conflict', 'SessionNotLive', `Session ${session.id} cannot be controlled: ${why} (state ${session.state})`);
}

/** The call in this process, or (`call` undefined) a session live on another engine. */
interface Target {
  session: Session;
  call: LiveControl | undefined;
}

export class LiveControlService {
  constructor(private readonly store: Store, private readonly engine: CallEngine, private readonly forwarder?: ControlForwarder) {}

  /** Runs a control another engine forwarded here: on this process's call only. */
  execute(request: ControlRequest): Promise<void> {
    const { accountId, sessionId, input } = request;
    switch (request.op) {
      case 'redirect': return this.redirect(accountId, sessionId, input, false);
      case 'hold': return this.hold(accountId, sessionId, input, false);
      case 'dtmf': return this.dtmf(accountId, sessionId, input, false);
      default: return Promise.reject(new AppError('validation', 'BadRequest', `unknown control ${request.op}`));
    }
  }

  private async target(accountId: string, sessionId: string, forwarding: boolean): Promise<Target> {
    const session = sessionId.length > 0 && sessionId.length <= 128 ? await this.store.getSession(accountId, sessionId) : undefined;
    if (!session) throw AppError.notFound('Session');
    const call = this.engine.live(session.id);
    if (call && !isFinal(call.currentState())) return { session, call };
    if (!call && forwarding && this.forwarder && !isFinal(session.state)) return { session, call: undefined };
    throw notLive(session);
  }

  /** Runs `local` on this process's call, or forwards the control to the owner. */
  private async apply(t: Target, op: ControlOp, input: Input, local: (call: LiveControl) => ControlResult | Promise<ControlResult>): Promise<void> {
    if (t.call) {
      const result = await local(t.call);
      if (!result.ok) throw notLive(t.session, result.reason);
      return;
    }
    const request = { op, accountId: t.session.accountId, sessionId: t.session.id, input };
    if (!(await this.forwarder!.forward(t.session, request))) throw notLive(t.session);
  }

  async redirect(accountId: string, sessionId: string, input: Input, forwarding = true): Promise<void> {
    const errors: FieldError[] = [];
    const flowId = readString(input, 'flowId', errors, { required: true, maxLength: 128 });
    const stepId = readString(input, 'stepId', errors, { required: false, maxLength: 128 });
    throwIfAny(errors);
    const t = await this.target(accountId, sessionId, forwarding);
    const flow = await this.store.getFlow(accountId, flowId!);
    if (!flow) throw AppError.validation([{ fieldName: 'flowId', errorCode: 'FlowNotFound', message: `flow ${flowId} not found` }]);
    if (stepId !== undefined && !flow.document.steps.some((s) => s.id === stepId)) {
      throw AppError.validation([{ fieldName: 'stepId', errorCode: 'StepNotFound', message: `flow ${flowId} has no step ${stepId}` }]);
    }
    await this.apply(t, 'redirect', { flowId, ...(stepId !== undefined ? { stepId } : {}) }, (call) => call.redirect(flow, stepId));
  }

  async hold(accountId: string, sessionId: string, input: Input, forwarding = true): Promise<void> {
    const errors: FieldError[] = [];
    const hold = readBoolean(input, 'hold', errors);
    if (hold === undefined && errors.length === 0) errors.push({ fieldName: 'hold', errorCode: 'NotEmpty', message: 'hold is required (true or false)' });
    const mohClass = readString(input, 'mohClass', errors, { required: false, maxLength: 64 });
    if (mohClass !== undefined && !MOH_CLASS.test(mohClass)) errors.push({ fieldName: 'mohClass', errorCode: 'InvalidValue', message: 'mohClass may hold letters, digits, _ and - only' });
    throwIfAny(errors);
    const t = await this.target(accountId, sessionId, forwarding);
    await this.apply(t, 'hold', { hold, ...(mohClass !== undefined ? { mohClass } : {}) }, (call) => call.hold(hold!, mohClass));
  }

  async dtmf(accountId: string, sessionId: string, input: Input, forwarding = true): Promise<void> {
    const errors: FieldError[] = [];
    const digits = readString(input, 'digits', errors, { required: true, maxLength: 64 });
    if (digits !== undefined && !DIGITS.test(digits)) errors.push({ fieldName: 'digits', errorCode: 'InvalidDigits', message: 'digits must be 1 to 64 of 0-9, A-D, * and #' });
    throwIfAny(errors);
    const t = await this.target(accountId, sessionId, forwarding);
    await this.apply(t, 'dtmf', { digits }, (call) => call.sendDtmf(digits!));
  }
}
