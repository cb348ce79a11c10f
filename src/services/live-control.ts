// Controls on a live call: redirect, hold, DTMF (EndSession is session-control.ts). The session
// must be the account's (404 otherwise) and live in this engine (409 otherwise, also when it ends
// while the control runs).
import { AppError, type FieldError } from '../domain/errors.js';
import type { Session } from '../domain/model.js';
import { isFinal } from '../domain/session-state.js';
import type { Store } from '../store/store.js';
import type { CallEngine, ControlResult, LiveControl } from './call-engine.js';
import { readBoolean, readString, throwIfAny, type Input } from './input.js';

const DIGITS = /^[0-9A-Da-d*#]{1,64}$/;
const MOH_CLASS = /^[A-Za-z0-9_-]{1,64}$/;

function notLive(session: Session, why = 'it is not live'): AppError {
  return new AppError('conflict', 'SessionNotLive', `Session ${session.id} cannot be controlled: ${why} (state ${session.state})`);
}

export class LiveControlService {
  constructor(private readonly store: Store, private readonly engine: CallEngine) {}

  private async live(accountId: string, sessionId: string): Promise<{ session: Session; call: LiveControl }> {
    const session = sessionId.length > 0 && sessionId.length <= 128 ? await this.store.getSession(accountId, sessionId) : undefined;
    if (!session) throw AppError.notFound('Session');
    const call = this.engine.live(session.id);
    if (!call || isFinal(call.currentState())) throw notLive(session);
    return { session, call };
  }

  private check(session: Session, result: ControlResult): void {
    if (!result.ok) throw notLive(session, result.reason);
  }

  async redirect(accountId: string, sessionId: string, input: Input): Promise<void> {
    const errors: FieldError[] = [];
    const flowId = readString(input, 'flowId', errors, { required: true, maxLength: 128 });
    const stepId = readString(input, 'stepId', errors, { required: false, maxLength: 128 });
    throwIfAny(errors);
    const { session, call } = await this.live(accountId, sessionId);
    const flow = await this.store.getFlow(accountId, flowId!);
    if (!flow) throw AppError.validation([{ fieldName: 'flowId', errorCode: 'FlowNotFound', message: `flow ${flowId} not found` }]);
    if (stepId !== undefined && !flow.document.steps.some((s) => s.id === stepId)) {
      throw AppError.validation([{ fieldName: 'stepId', errorCode: 'StepNotFound', message: `flow ${flowId} has no step ${stepId}` }]);
    }
    this.check(session, call.redirect(flow, stepId));
  }

  async hold(accountId: string, sessionId: string, input: Input): Promise<void> {
    const errors: FieldError[] = [];
    const hold = readBoolean(input, 'hold', errors);
    if (hold === undefined && errors.length === 0) errors.push({ fieldName: 'hold', errorCode: 'NotEmpty', message: 'hold is required (true or false)' });
    const mohClass = readString(input, 'mohClass', errors, { required: false, maxLength: 64 });
    if (mohClass !== undefined && !MOH_CLASS.test(mohClass)) errors.push({ fieldName: 'mohClass', errorCode: 'InvalidValue', message: 'mohClass may hold letters, digits, _ and - only' });
    throwIfAny(errors);
    const { session, call } = await this.live(accountId, sessionId);
    this.check(session, await call.hold(hold!, mohClass));
  }

  async dtmf(accountId: string, sessionId: string, input: Input): Promise<void> {
    const errors: FieldError[] = [];
    const digits = readString(input, 'digits', errors, { required: true, maxLength: 64 });
    if (digits !== undefined && !DIGITS.test(digits)) errors.push({ fieldName: 'digits', errorCode: 'InvalidDigits', message: 'digits must be 1 to 64 of 0-9, A-D, * and #' });
    throwIfAny(errors);
    const { session, call } = await this.live(accountId, sessionId);
    this.check(session, await call.sendDtmf(digits!));
  }
}
