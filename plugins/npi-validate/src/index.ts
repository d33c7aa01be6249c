import { z } from 'zod';
import { defineStage } from '@pmsbridge/core';
import { NpiValidationStage } from './npi-validation-stage.js';

export { isValidNpi } from './npi.js';
export { NpiValidationStage } from './npi-validation-stage.js';

/** The `@pmsbridge/plugin-npi-validate` stage: no options. */
const plugin = defineStage({
  id: '@pmsbridge/plugin-npi-validate',
  options: z.object({}).strict(),
  requiredProviderFields: ['npi'],
  create: ({ name }) => new NpiValidationStage(name),
});

export default plugin;
