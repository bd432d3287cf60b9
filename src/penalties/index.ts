/**
 * The built-in penalties, registered on import. A new penalty is a module that implements
 * `Penalty` and calls `registerPenalty` (see penalty.ts), plus one line here.
 */
import './penalties.ts';
import './nonconvex.ts';
import './bilevel.ts';
export { registerPenalty, penaltyNames, getPenalty, type Penalty, type PenaltySpec, type PenaltyParams } from './penalty.ts';
