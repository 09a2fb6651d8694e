import { AppError } from '../errors/app-error';

/**
 * The 400 of a domain rule about one input field (`details.field` names it, so a client can show
 * the error beside the input). Request shapes are checked by the admin API's schemas
 * (src/admin/contract); this is for what only the domain can judge (a rule about the data).
 */
export function invalid(field: string, message: string): AppError {
  return new AppError('badRequest', 'INVALID_REQUEST', message, { details: { field } });
}
