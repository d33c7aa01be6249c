/**
 * `@pmsbridge/adapter-hl7v2/booking`: the booking partner that books appointments in a
 * practice-management system over HL7 v2 (`SRM^S01`/`SRR^S01`, `SRM^S04`, `SQM^S25`) and
 * MLLP (`hl7BookingPlugin`, the module's default export).
 */
import { hl7BookingPlugin } from './plugin.js';

export { hl7BookingPlugin } from './plugin.js';
export { Hl7BookingOptionsSchema, type Hl7BookingOptions } from './booking-options.js';
export {
  Hl7BookingPort,
  type Hl7BookingPortOptions,
  type Hl7BookingPortDeps,
  type Hl7Requester,
} from './hl7-booking-port.js';

export default hl7BookingPlugin;
