// Validates Matchmaker Exchange requests and responses against the MME API schema
// (testdata/mme/api.json, JSON Schema draft-04; checked with ajv's draft-07 engine, which
// reads every keyword this schema uses the same way).
// Usage: node mme-validate.js SCHEMA LIST   where LIST has lines "request|response FILE".
// Prints "ok"/"FAIL" per line; exit status = failures.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');
const [schemaFile, list] = process.argv.slice(2);
const s = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
delete s.$schema;
s.$id = 'mme';
const ajv = new Ajv({ strict: false, validateFormats: false });
ajv.addSchema(s);
let failed = 0;
for (const line of fs.readFileSync(list, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const [kind, file] = line.split(' ');
  let doc;
  try { doc = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { doc = undefined; }
  const v = ajv.getSchema('mme#/definitions/' + kind);
  if (!v || doc === undefined) { console.log(`FAIL ${file}: ${v ? 'not JSON' : 'no schema'}`); failed++; continue; }
  if (v(doc)) console.log(`ok   ${path.basename(file)} is an MME ${kind}`);
  else { failed++; console.log(`FAIL ${path.basename(file)} as ${kind}: ${JSON.stringify(v.errors.slice(0, 3))}`); }
}
process.exit(failed > 125 ? 125 : failed);
