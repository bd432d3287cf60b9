/**
 * Gives `GroupLasso.fit(source, spec)` its implementation when the SQL sources load (imported by
 * every module that makes a source, and by `groupsparse/sql`): the core estimator never imports
 * this directory, so a bundle of `groupsparse` alone carries no SQL code or driver.
 */
import { registerSourceFitter } from '../estimators/groupLasso.ts';
import { fitSourceModel } from './estimator.ts';

registerSourceFitter(fitSourceModel);
