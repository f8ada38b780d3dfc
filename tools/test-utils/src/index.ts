export {
  expectPublicApiDocumented,
  type PublicApiReport,
  publicApiOf,
  publicApiReport,
} from './public-api.js';
export { waitFor } from './wait-for.js';
