/**
 * The built-in losses, registered on import. A new loss is a module that implements `Datafit` and
 * calls `registerLoss` (see datafit.ts), plus one line here.
 */
import './datafits.ts';
import './cox.ts';
import './multinomial.ts';
export {
  makeDatafit, registerLoss, lossNames, getLoss, subsetResponse, defaultLoss, devianceAtNull, sumRowLosses,
  type Datafit, type LossName, type LossSpec, type ReadResponse, type ResponseOptions,
} from './datafit.ts';
