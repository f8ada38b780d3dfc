export {
  type AdmissionCounts,
  type AdmissionDenial,
  type AdmissionLimits,
  type AdmissionOptions,
  type AdmissionResult,
  ConnectionAdmission,
  DEFAULT_ADMISSION_LIMITS,
  type Direction,
} from './connection-admission.js';
export { type IpFamily, normaliseIp, type ParsedIp, parseIp } from './ip.js';
