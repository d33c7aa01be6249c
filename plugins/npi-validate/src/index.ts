import { ContainerModule } from 'inversify';
import { z } from 'zod';
import { definePlugin, StageToken } from '@pmsbridge/core';
import { NpiValidationStage } from './npi-validation-stage.js';

export { isValidNpi } from './npi.js';
export { NpiValidationStage } from './npi-validation-stage.js';

/** The `@pmsbridge/plugin-npi-validate` stage: no options. */
const plugin = definePlugin({
  name: '@pmsbridge/plugin-npi-validate',
  optionsSchema: z.object({}).strict(),
  requiredProviderFields: ['npi'],
  register: ({ name }) =>
    new ContainerModule(({ bind }) => {
      bind(StageToken).toConstantValue(new NpiValidationStage(name));
    }),
});

export default plugin;
