// Validates Beacon responses against the official v2.1.1 JSON schemas (testdata/beacon-schemas).
// Usage: node beacon-validate.js SCHEMA_DIR LIST   where LIST has lines "SCHEMA_PATH RESPONSE_FILE"
// (SCHEMA_PATH relative to SCHEMA_DIR). Prints "ok"/"FAIL" per line; exit status = failures.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require('ajv/dist/2020');
const [dir, list] = process.argv.slice(2);
const BASE = 'https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/';
const ajv = new Ajv2020({ strict: false, validateFormats: false, validateSchema: false });
function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.json')) {
      const rel = path.relative(dir, p);
      const s = JSON.parse(fs.readFileSync(p, 'utf8'));
      delete s.$id;
      if (rel === 'vrs/vrs.json') {
        delete s.$schema;
        ajv.addSchema(s, 'https://w3id.org/ga4gh/schema/vrs/1.3/vrs.json');
        continue;
      }
      ajv.addSchema(s, BASE + rel);
      // quirk: the default model refers to ../common/info.json and (commonDefinitions.json)
      // ./beaconCommonComponents.json, which live in the framework
      if (rel === 'framework/json/common/info.json' ||
          rel === 'framework/json/common/beaconCommonComponents.json')
        ajv.addSchema(JSON.parse(JSON.stringify(s)),
                      BASE + 'models/json/beacon-v2-default-model/common/' + path.basename(rel));
    }
  }
}
walk(dir);
let failed = 0;
for (const line of fs.readFileSync(list, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  let [schema, file] = line.split(' ');
  let doc;
  try { doc = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { doc = undefined; }
  // "auto": a query response, checked against the schema of the kind it claims to be
  if (schema.endsWith('/auto') && doc) {
    const r = 'framework/json/responses/';
    schema = doc.error ? r + 'beaconErrorResponse.json'
      : doc.response && doc.response.resultSets ? r + 'beaconResultsetsResponse.json'
      : doc.response && doc.response.collections ? r + 'beaconCollectionsResponse.json'
      : doc.meta && doc.meta.returnedGranularity === 'count' ? r + 'beaconCountResponse.json'
      : r + 'beaconBooleanResponse.json';
  }
  const v = ajv.getSchema(BASE + schema);
  if (!v || doc === undefined) { console.log(`FAIL ${file}: ${v ? 'not JSON' : 'no schema ' + schema}`); failed++; continue; }
  if (v(doc)) console.log(`ok   ${path.basename(file)} against ${path.basename(schema)}`);
  else { failed++; console.log(`FAIL ${path.basename(file)} against ${schema}: ${JSON.stringify(v.errors.slice(0, 3))}`); }
}
process.exit(failed > 125 ? 125 : failed);
