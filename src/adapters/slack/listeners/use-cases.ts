import type { UseCases } from '../../../application/use-cases.js';
import type { Logger } from '../../../logger.js';
import type { HomePublisher } from '../home-publisher.js';

/**
 * What the listeners call: the use cases, already bound to their dependencies (and waking the job worker after
 * each stored change), and the Home tab publisher.
 */
export interface ListenerUseCases {
  useCases: UseCases;
  homes: Pick<HomePublisher, 'publish'>;
  log: Logger;
}
