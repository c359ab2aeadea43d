// Independent reference for tests/cli/beacon-pheno.sh and pheno-cohort.sh: which people a Beacon HPO or diagnosis
// filter should match, computed from the phenopacket JSON files and the HPO release's TSV
// files (terms with replaced_by, is_a edges), not from genomenode's index.
// Usage: node pheno-ref.js MAP HPO_DIR CMD...
//   MAP: lines "SAMPLE_ID<TAB>PHENOPACKET_FILE"
//   count TERM desc|exact   people whose observed features include TERM (desc: or a term below)
//   dx ID                   people with the diagnosis ID (diseases or interpretations)
//   samples TERM[,TERM...]  the sample ids matched by every TERM with descendants, one a line
//   dx-samples ID           the sample ids with the diagnosis ID, one a line
//   terms                   the distinct observed terms (current ids), one a line
//   ancestors               every ancestor of an observed term (current ids), one a line
//   excluded-only           terms excluded by someone and observed by no one, one a line
//   obsolete                "OBSOLETE REPLACEMENT" pairs whose replacement someone has
'use strict';
const fs = require('fs');
const zlib = require('zlib');
const [mapFile, hpoDir, cmd, arg, mode] = process.argv.slice(2);
const tsv = (f) => zlib.gunzipSync(fs.readFileSync(f)).toString().split('\n')
  .filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
const repl = {}, obsolete = {};
for (const [id, , obs, rb] of tsv(hpoDir + '/hpo_terms.tsv.gz')) {
  if (obs === '1') obsolete[id] = 1;
  if (rb) repl[id] = rb;
}
const parents = {};
for (const [c, p] of tsv(hpoDir + '/hpo_is_a.tsv.gz')) (parents[c] = parents[c] || []).push(p);
const current = (t) => (obsolete[t] && repl[t] ? repl[t] : t);
const ancestors = (t) => {
  const seen = new Set([t]), stack = [t];
  while (stack.length) for (const p of parents[stack.pop()] || []) if (!seen.has(p)) { seen.add(p); stack.push(p); }
  return seen;
};
const people = fs.readFileSync(mapFile, 'utf8').split('\n').filter(Boolean).map((l) => {
  const [sample, file] = l.split('\t');
  const pp = JSON.parse(fs.readFileSync(file, 'utf8'));
  const obs = [], exc = [];
  for (const f of pp.phenotypicFeatures || []) (f.excluded ? exc : obs).push(current(f.type.id));
  const dx = new Set((pp.diseases || []).map((d) => d.term.id));
  for (const i of pp.interpretations || []) if (i.diagnosis) dx.add(i.diagnosis.disease.id);
  return { sample, obs, exc, dx };
});
const has = (p, t, desc) => p.obs.some((o) => (desc ? ancestors(o).has(t) : o === t));
const out = (xs) => { for (const x of xs) console.log(x); };
if (cmd === 'count') console.log(people.filter((p) => has(p, current(arg), mode !== 'exact')).length);
else if (cmd === 'dx') console.log(people.filter((p) => p.dx.has(arg)).length);
else if (cmd === 'samples') out(people.filter((p) => arg.split(',').every((t) => has(p, current(t), true))).map((p) => p.sample));
else if (cmd === 'dx-samples') out(people.filter((p) => p.dx.has(arg)).map((p) => p.sample));
else if (cmd === 'terms') out([...new Set(people.flatMap((p) => p.obs))].sort());
else if (cmd === 'ancestors') out([...new Set(people.flatMap((p) => p.obs.flatMap((o) => [...ancestors(o)])))].sort());
else if (cmd === 'excluded-only') {
  const o = new Set(people.flatMap((p) => p.obs));
  out([...new Set(people.flatMap((p) => p.exc))].filter((t) => !o.has(t)).sort());
} else if (cmd === 'obsolete') {
  const o = new Set(people.flatMap((p) => p.obs));
  out(Object.keys(repl).filter((t) => obsolete[t] && o.has(repl[t])).map((t) => t + ' ' + repl[t]));
}
