/**
 * `@pmsbridge/adapter-fhir/booking`: the booking partner that books `Appointment`s in a FHIR
 * R4 server (`fhirBookingPlugin`, the module's default export).
 */
import { fhirBookingPlugin } from './plugin.js';

export { fhirBookingPlugin, fhirBookingOptionsSchema } from './plugin.js';
export { FhirBookingPort, appointmentFor, BOOKING_ID_SYSTEM } from './fhir-booking-port.js';

export default fhirBookingPlugin;
