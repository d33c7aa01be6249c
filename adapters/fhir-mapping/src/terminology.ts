/** Identifier system of the US National Provider Identifier. */
export const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';
/** Identifier system of HealthConnect provider ids (`PRV` + 10 digits). */
export const PROVIDER_ID_SYSTEM = 'https://healthconnect.io/fhir/sid/provider-id';
/** Identifier system of HealthConnect location ids (`LOC` + 10 digits). */
export const LOCATION_ID_SYSTEM = 'https://healthconnect.io/fhir/sid/location-id';
/** Identifier system of HealthConnect slot ids. */
export const SLOT_ID_SYSTEM = 'https://healthconnect.io/fhir/sid/slot-id';
/** Identifier system of our PractitionerRole keys (`<provider id>-<location id>`). */
export const PRACTITIONER_ROLE_ID_SYSTEM = 'https://healthconnect.io/fhir/sid/practitioner-role-id';
/** Identifier system of our Schedule keys (`<provider id>-<location id>`). */
export const SCHEDULE_ID_SYSTEM = 'https://healthconnect.io/fhir/sid/schedule-id';
/** Extension carrying a Location's IANA time zone (`valueCode`, e.g. `America/New_York`). */
export const TIMEZONE_EXTENSION_URL = 'https://healthconnect.io/fhir/StructureDefinition/timezone';
/** NUCC Health Care Provider Taxonomy. */
export const NUCC_SYSTEM = 'http://nucc.org/provider-taxonomy';
/** Plan-Net "accepting new patients" extension. */
export const NEW_PATIENTS_EXTENSION_URL =
  'http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/newpatients';
/** Plan-Net accepting-patients code system. */
export const ACCEPTING_PATIENTS_SYSTEM =
  'http://hl7.org/fhir/us/davinci-pdex-plan-net/CodeSystem/AcceptingPatientsCS';
/** The same accepting-patients codes in HL7 Terminology (used by the HL7 SSL draft on Slot). */
export const ACCEPTING_PATIENTS_THO_SYSTEM =
  'http://terminology.hl7.org/CodeSystem/accepting-patients';
/** HL7 v2 table 0276, appointment reason codes (R4 Slot.appointmentType binding). */
export const V2_0276_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0276';
/** SMART Scheduling Links booking deep link extension (`valueUrl`). */
export const BOOKING_DEEP_LINK_URL =
  'http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link';
/** SMART Scheduling Links booking phone extension (`valueString`). */
export const BOOKING_PHONE_URL =
  'http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone';
/** BCP-47 language tags. */
export const BCP47_SYSTEM = 'urn:ietf:bcp:47';
/** HL7 service types (Schedule.serviceType). */
export const SERVICE_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/service-type';

/** A NUCC taxonomy concept. */
export interface TaxonomyConcept {
  code: string;
  display: string;
}

/**
 * HealthConnect specialty slugs → NUCC codes and display names, checked against the
 * Plan-Net IndividualAndGroupSpecialtiesVS expansion (NUCC v20.2). Covers every slug the
 * HealthConnect sandbox emits; a slug not listed maps to text only and is reported
 * through the `unmappedSpecialties` mapping option.
 */
export const NUCC_BY_SPECIALTY: Readonly<Record<string, TaxonomyConcept>> = {
  cardiology: { code: '207RC0000X', display: 'Cardiovascular Disease Physician' },
  pediatrics: { code: '208000000X', display: 'Pediatrics Physician' },
  family_medicine: { code: '207Q00000X', display: 'Family Medicine Physician' },
  internal_medicine: { code: '207R00000X', display: 'Internal Medicine Physician' },
  dermatology: { code: '207N00000X', display: 'Dermatology Physician' },
  orthopedics: { code: '207X00000X', display: 'Orthopaedic Surgery Physician' },
  obstetrics_gynecology: { code: '207V00000X', display: 'Obstetrics & Gynecology Physician' },
  psychiatry: { code: '2084P0800X', display: 'Psychiatry Physician' },
  neurology: { code: '2084N0400X', display: 'Neurology Physician' },
  ophthalmology: { code: '207W00000X', display: 'Ophthalmology Physician' },
  gastroenterology: { code: '207RG0100X', display: 'Gastroenterology Physician' },
  endocrinology: {
    code: '207RE0101X',
    display: 'Endocrinology, Diabetes & Metabolism Physician',
  },
  oncology: { code: '207RX0202X', display: 'Medical Oncology Physician' },
  urology: { code: '208800000X', display: 'Urology Physician' },
  pulmonology: { code: '207RP1001X', display: 'Pulmonary Disease Physician' },
  otolaryngology: { code: '207Y00000X', display: 'Otolaryngology Physician' },
  hematology_oncology: { code: '207RH0003X', display: 'Hematology & Oncology Physician' },
  interventional_cardiology: {
    code: '207RI0011X',
    display: 'Interventional Cardiology Physician',
  },
  pediatric_cardiology: { code: '2080P0202X', display: 'Pediatric Cardiology Physician' },
  general_practice: { code: '208D00000X', display: 'General Practice Physician' },
  nurse_practitioner: { code: '363L00000X', display: 'Nurse Practitioner' },
  physician_assistant: { code: '363A00000X', display: 'Physician Assistant' },
};

/** Whether specialty `slug` has a NUCC code in {@link NUCC_BY_SPECIALTY}. */
export function hasNuccCode(slug: string): boolean {
  return Object.hasOwn(NUCC_BY_SPECIALTY, slug);
}

/** A specialty slug as readable text: `obstetrics_gynecology` → `Obstetrics gynecology`. */
export function specialtyText(slug: string): string {
  const words = slug.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
