#!/bin/bash
# Catalog, policy and audit behaviour through the CLI, on the committed 503-sample panel
# with a synthetic sample manifest, compared with bcftools.
#
# Usage: tests/cli/governance.sh BUILD_DIR sqlite|postgresql
# With postgresql, a throw-away server is started (scripts/pg-temp) and every node gets a
# fresh database on it. Ends with "N passed, M failed".
set -u
B=${1:-build/asan}
MODE=${2:-sqlite}
GN="$B/genomenode"
T=$(mktemp -d /tmp/gn-gov-XXXXXX)
PG=""
cleanup() { [ -n "$PG" ] && scripts/pg-temp stop "$PG"; rm -rf "$T"; }
trap cleanup EXIT
EUR=testdata/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz
. tests/cli/lib.sh
ok() { echo "ok   [$MODE] $1"; pass=$((pass+1)); }
ko() { echo "FAIL [$MODE] $1"; fail=$((fail+1)); }
ref() { bcftools norm -m- "$1" 2>/dev/null | bcftools +fill-tags -- -t AC,AN 2>/dev/null |
        bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t%AC\t%AN\n'; }

if [ "$MODE" = postgresql ]; then
  PG=$(mktemp -d /tmp/gn-pg-XXXXXX); rmdir "$PG"
  scripts/pg-temp start "$PG" >/dev/null || { echo "FAIL [$MODE] cannot start PostgreSQL"; echo "0 passed, 1 failed"; exit 1; }
fi
n_db=0
# newnode DIR: initialises a node whose catalog is SQLite or a fresh PostgreSQL database.
newnode() {
  if [ -n "$PG" ]; then
    n_db=$((n_db+1)); local uri; uri=$(scripts/pg-temp createdb "$PG" "node$n_db")
    "$GN" init "$1" --build GRCh37 --catalog "$uri" >/dev/null
  else
    "$GN" init "$1" --build GRCh37 >/dev/null
  fi
}
# sql DIR STATEMENT: runs SQL on a node's catalog (to inspect it, or to tamper with it).
sql() {
  if [ -n "$PG" ]; then psql -qtAX "$(cat "$1/catalog.conf")" -c "$2"
  else sqlite3 "$1/catalog.db" "$2"; fi
}

# --- a manifest for the 503 samples: synthetic CPR numbers, two datasets, three consents
manifest503 "$T/man.tsv"
# Who an HMB project granted DS1 may count: DS1, research consent that permits HMB (GRU).
awk 'NR > 1 && $4 == "DS1" && $5 == "GRU" { print $2 }' "$T/man.tsv" > "$T/allowed.txt"
cut -f1 "$T/man.tsv" | tail -n +2 > "$T/ids.txt"
cut -f1 "$T/man.tsv" | tail -n +2 | tr -d - >> "$T/ids.txt"
cat "$T/samples.txt" >> "$T/ids.txt"

N="$T/n"
newnode "$N"
"$GN" dataset add "$N" DS1 --terms GRU >/dev/null
"$GN" dataset add "$N" DS2 --terms HMB >/dev/null
expect "dataset with an unknown DUO code is refused" '! "$GN" dataset add "$N" DS3 --terms XYZ 2>/dev/null'
# named cohorts live in the catalog (either engine); diagnosis criteria need no HPO index
"$GN" cohort define "$N" dee14 --diagnosis OMIM:614959 --description "DEE 14" >/dev/null
"$GN" cohort define "$N" two --diagnosis OMIM:154700,ORPHA:558 >/dev/null
expect "cohorts are defined, listed and dropped; a duplicate is refused" \
  '! "$GN" cohort define "$N" dee14 --diagnosis OMIM:1 2>/dev/null && "$GN" cohort drop "$N" two >/dev/null &&
   [ "$("$GN" cohort list "$N")" = "$(printf "dee14\t-\tOMIM:614959\tDEE 14")" ] && [ "$(sql "$N" "SELECT count(*) FROM cohorts")" = 1 ]'

# --- bad manifests: each names the line, and nothing changes
snapshot() { echo "$("$GN" stats "$N" | sed 's/"generation":[0-9]*//')|$(sql "$N" "SELECT (SELECT count(*) FROM samples), (SELECT count(*) FROM individuals), (SELECT count(*) FROM consent_events), (SELECT count(*) FROM batches)")"; }
before=$(snapshot)
badman() { # label sed-expression expected-message
  sed "$2" "$T/man.tsv" > "$T/bad.tsv"
  local msg; msg=$("$GN" ingest "$N" --batch bad --quiet --manifest "$T/bad.tsv" "$EUR" 2>&1)
  if [ $? -ne 0 ] && echo "$msg" | grep -q -- "$3" && [ "$(snapshot)" = "$before" ] &&
     ! echo "$msg" | grep -q "$(sed -n 6p "$T/man.tsv" | cut -f1)"; then ok "bad manifest: $1"
  else ko "bad manifest: $1 ($msg)"; fi
}
badman "wrong column count" '6s/\t[^\t]*$//' 'bad.tsv:6: expected 6 fields, got 5'
badman "invalid CPR date" '6s/^[0-9]*/3201/' "bad.tsv:6: field 'national_id'"
badman "unknown DUO code" '6s/GRU/GRUX/' "bad.tsv:6: field 'consent'"
badman "duplicate person" '7s/^[^\t]*/'"$(sed -n 6p "$T/man.tsv" | cut -f1)"'/' 'bad.tsv:7'
badman "unknown dataset" '6s/\tDS[12]\t/\tDS9\t/' "bad.tsv:6: field 'dataset'"
badman "a sample of the files not in the manifest" '6d' 'is not in the manifest'
badman "a manifest row in none of the files" '$a010199-1234\tNOSUCH\tmale\tDS1\tGRU\t1990' 'in none of the input files'

"$GN" ingest "$N" --batch b1 --quiet --manifest "$T/man.tsv" "$EUR" >/dev/null
expect "ingest with manifest records 503 individuals with sex, year and consent" \
  '[ "$(sql "$N" "SELECT count(*) FROM individuals")" = 503 ] && [ "$(sql "$N" "SELECT count(*) FROM consent_events")" = 503 ] && [ "$(sql "$N" "SELECT sex || '"'"' '"'"' || year_of_birth FROM individuals ORDER BY id LIMIT 1")" = "female 1985" ] && [ "$(sql "$N" "SELECT count(*) FROM consent_events WHERE kind = '"'"'research'"'"' AND terms = '"'"'HMB,NPU'"'"'")" = 64 ]'
[ -n "$PG" ] && psql -qX "$(cat "$N/catalog.conf")" -c CHECKPOINT >/dev/null 2>&1
expect "no national ID or sample ID in any byte of the node (or its catalog)" \
  '! grep -a -r -q -F -f "$T/ids.txt" "$N" ${PG:+"$PG"}'

# --- users, projects, tokens
"$GN" user add "$N" alice --role researcher >/dev/null
"$GN" user add "$N" bob --role researcher >/dev/null
"$GN" user add "$N" carol --role auditor >/dev/null
"$GN" project add "$N" P1 --purpose HMB --approval ETH-2026-01 --expires 2099-12-31 >/dev/null
"$GN" project add "$N" OLD --purpose HMB --approval ETH-2019-07 --expires 2020-01-01 >/dev/null
"$GN" project join "$N" P1 alice >/dev/null
"$GN" project join "$N" OLD alice >/dev/null
"$GN" grant "$N" --dataset DS1 --project P1 --level count >/dev/null
"$GN" grant "$N" --dataset DS1 --project OLD --level count >/dev/null
"$GN" setting "$N" small_count_threshold 0 >/dev/null
TA=$("$GN" token create "$N" --user alice)
TB=$("$GN" token create "$N" --user bob)
TC=$("$GN" token create "$N" --user carol)
expect "tokens are stored only as hashes" '[ -z "$(sql "$N" "SELECT 1 FROM tokens WHERE hash LIKE '"'"'gnt_%'"'"'")" ] && ! grep -a -r -q -F "$TA" "$N"'

bcftools view -S "$T/allowed.txt" "$EUR" 2>/dev/null | ref /dev/stdin > "$T/allowed.ref"
"$GN" freq "$N" --token "$TA" --project P1 | tail -n +2 > "$T/p1.gn"
expect "researcher freq == bcftools on consent ∩ dataset terms ∩ grants ($(wc -l < "$T/allowed.txt") samples)" \
  'cmp -s "$T/allowed.ref" "$T/p1.gn"'
denied() { # label expected-reason command...
  local l=$1 r=$2; shift 2
  local msg; msg=$("$@" 2>&1 >/dev/null)
  if [ $? -ne 0 ] && echo "$msg" | grep -q -- "$r"; then ok "denied: $l"; else ko "denied: $l ($msg)"; fi
}
denied "no project" "approved project" "$GN" freq "$N" --token "$TA"
denied "expired project" "expired on 2020-01-01" "$GN" freq "$N" --token "$TA" --project OLD
denied "not a member" "not a member" "$GN" freq "$N" --token "$TB" --project P1
denied "record level without a record grant" "no sample may be used" "$GN" export "$N" --token "$TA" --project P1 -o "$T/x.vcf"
denied "unknown token" "unknown token" "$GN" freq "$N" --token gnt_0000000000000000000000000000000000000000000000000000000000000000 --project P1
denied "auditor reading genotypes" "no access to genotypes" "$GN" freq "$N" --token "$TC"
denied "researcher changing the catalog" "steward role" "$GN" dataset add "$N" DS4 --terms GRU --token "$TA"
TX=$("$GN" token create "$N" --user alice --expires 2001-01-01)
denied "expired token" "token expired" "$GN" freq "$N" --token "$TX" --project P1
n_tok=$(sql "$N" "SELECT count(*) FROM tokens")
expect "token create refuses an expiry that is not a date (YYYY-MM-DD)" \
  '! "$GN" token create "$N" --user alice --expires 31.12.2020 2>/dev/null && ! "$GN" token create "$N" --user alice --expires never 2>/dev/null &&
   "$GN" token create "$N" --user alice --expires 2023-02-29 2>&1 | grep -q "bad --expires" && [ "$(sql "$N" "SELECT count(*) FROM tokens")" = "$n_tok" ]'
# a stored expiry that is not a date (an older build stored --expires as given) fails closed
TY=$("$GN" token create "$N" --user alice --expires 2099-12-31)
ty=$(sql "$N" "SELECT max(id) FROM tokens")
for bad in never 31.12.2020 2099-12-31x; do
  sql "$N" "UPDATE tokens SET expires_at = '$bad' WHERE id = $ty"
  denied "a token whose stored expiry is '$bad'" "token expiry is not a valid date" "$GN" freq "$N" --token "$TY" --project P1
done
sql "$N" "UPDATE tokens SET expires_at = '2099-12-31T23:59:59Z' WHERE id = $ty"
expect "a stored exact UTC expiry still works" '"$GN" freq "$N" --token "$TY" --project P1 >/dev/null'
sql "$N" "UPDATE tokens SET expires_at = '2001-01-01T00:00:00Z' WHERE id = $ty"
denied "a stored exact UTC expiry in the past" "token expired" "$GN" freq "$N" --token "$TY" --project P1
sql "$N" "UPDATE projects SET expires = 'never' WHERE name = 'OLD'"
denied "a project whose stored expiry is not a date" "no valid expiry date" "$GN" freq "$N" --token "$TA" --project OLD
sql "$N" "UPDATE projects SET expires = '2020-01-01' WHERE name = 'OLD'"
"$GN" token revoke "$N" --id 2 >/dev/null
denied "revoked token" "token revoked" "$GN" freq "$N" --token "$TB" --project P1
# --- listings go through policy and are audited, before they are printed
cz=$(awk 'NR == 12 { print $1 }' "$T/man.tsv")
"$GN" user add "$N" zoe --role citizen --person "$cz" >/dev/null
TZ=$("$GN" token create "$N" --user zoe)
denied "a citizen listing datasets" "dataset.list needs the steward role" "$GN" dataset list "$N" --token "$TZ"
denied "an auditor listing datasets" "dataset.list needs the steward role" "$GN" dataset list "$N" --token "$TC"
denied "a citizen listing users" "user.list needs the steward role" "$GN" user list "$N" --token "$TZ"
denied "a researcher listing users" "user.list needs the steward role" "$GN" user list "$N" --token "$TA"
expect "a researcher lists the datasets (names and terms, to ask for access); audited" \
  '[ "$("$GN" dataset list "$N" --token "$TA" | cut -f1,2 | tr "\t\n" ":,")" = "DS1:GRU,DS2:HMB," ] &&
   "$GN" audit show "$N" --user alice | grep -q "\"action\":\"dataset.list\",\"outcome\":\"allowed\",\"records\":2,"'
expect "the steward lists the users; the entry names the citizen's person, whose pseudonym it shows" \
  '"$GN" user list "$N" > "$T/users.tsv" && grep -q "^zoe	citizen	gn" "$T/users.tsv" &&
   "$GN" audit show "$N" --person "$cz" | grep -q "\"action\":\"user.list\",\"outcome\":\"allowed\",\"records\":$(wc -l < "$T/users.tsv"),"'
expect "listing refusals are audited" \
  '[ "$("$GN" audit show "$N" --user zoe | grep -c "\.list\",\"outcome\":\"denied\"")" = 2 ]'
expect "every denial is audited with its reason" \
  '[ "$("$GN" audit show "$N" | grep -c "\"outcome\":\"denied\"")" -ge 9 ] && "$GN" audit show "$N" --user bob | grep -q "not a member"'

# --- record-level exports under two projects cannot be linked
"$GN" project add "$N" P2 --purpose HMB --approval ETH-2026-02 --expires 2099-12-31 >/dev/null
"$GN" project join "$N" P2 alice >/dev/null
"$GN" grant "$N" --dataset DS1 --project P1 --level record >/dev/null
"$GN" grant "$N" --dataset DS1 --project P2 --level record >/dev/null
"$GN" export "$N" --token "$TA" --project P1 --region 20:1000000-1200000 -o "$T/e1.vcf" 2>/dev/null
"$GN" export "$N" --token "$TA" --project P2 --region 20:1000000-1200000 -o "$T/e2.vcf" 2>/dev/null
"$GN" export "$N" --region 20:1000000-1200000 -o "$T/e0.vcf" 2>/dev/null
expect "exports under two projects: same genotypes, unlinkable sample names" \
  '[ "$(bcftools query -l "$T/e1.vcf" | wc -l)" = "$(wc -l < "$T/allowed.txt")" ] && cmp -s <(bcftools query -f "[%GT ]\n" "$T/e1.vcf") <(bcftools query -f "[%GT ]\n" "$T/e2.vcf") && [ -z "$(comm -12 <(bcftools query -l "$T/e1.vcf" | sort) <(bcftools query -l "$T/e2.vcf" | sort))" ] && [ -z "$(comm -12 <(bcftools query -l "$T/e1.vcf" | sort) <(bcftools query -l "$T/e0.vcf" | sort))" ]'
# --- no answer leaves before its access is on record
n0=$("$GN" audit show "$N" --user alice | grep -c '"action":"freq","outcome":"allowed"')
"$GN" freq "$N" --token "$TA" --project P1 | head -1 > "$T/head1"
expect "freq | head -1: the reader stops at once, the access is on record all the same" \
  '[ "$(cat "$T/head1")" = "$(printf "CHROM\tPOS\tREF\tALT\tAC\tAN")" ] && [ "$("$GN" audit show "$N" --user alice | grep -c "\"action\":\"freq\",\"outcome\":\"allowed\"")" = $((n0 + 1)) ]'
"$GN" freq "$N" --token "$TA" --project P1 --region 20:1000000-1100000 > "$T/f1.tsv"
expect "a complete freq: allowed before the answer, done with the rows returned after" \
  '"$GN" audit show "$N" --user alice | grep "\"action\":\"freq\"" | tail -2 | tr -d "\n" | grep -q "\"outcome\":\"allowed\",\"records\":0,.*\"outcome\":\"done\",\"records\":$(($(wc -l < "$T/f1.tsv") - 1)),"'
# the catalog refusing audit entries of an action and outcome (a failing log)
audit_refuse() {
  if [ -n "$PG" ]; then
    sql "$N" "CREATE OR REPLACE FUNCTION gn_refuse() RETURNS trigger AS \$\$ BEGIN RAISE EXCEPTION 'audit refused'; END \$\$ LANGUAGE plpgsql; CREATE TRIGGER gn_refuse BEFORE INSERT ON audit FOR EACH ROW WHEN (NEW.action = '$1' AND NEW.outcome = '$2') EXECUTE FUNCTION gn_refuse()" >/dev/null
  else sql "$N" "CREATE TRIGGER gn_refuse BEFORE INSERT ON audit WHEN NEW.action = '$1' AND NEW.outcome = '$2' BEGIN SELECT RAISE(ABORT, 'audit refused'); END"; fi
}
audit_unrefuse() { if [ -n "$PG" ]; then sql "$N" "DROP TRIGGER gn_refuse ON audit" >/dev/null; else sql "$N" "DROP TRIGGER gn_refuse"; fi; }
audit_refuse export allowed
expect "an export whose access cannot be recorded fails and writes nothing" \
  '! "$GN" export "$N" --token "$TA" --project P1 --region 20:1000000-1010000 -o "$T/ea.vcf" 2>/dev/null && [ ! -e "$T/ea.vcf" ]'
audit_unrefuse
audit_refuse export done
expect "an export whose outcome cannot be recorded fails and its file is removed" \
  '! "$GN" export "$N" --token "$TA" --project P1 --region 20:1000000-1010000 -o "$T/eb.vcf" 2>/dev/null && [ ! -e "$T/eb.vcf" ]'
audit_unrefuse
audit_refuse freq allowed
expect "a freq whose access cannot be recorded prints nothing" \
  '! "$GN" freq "$N" --token "$TA" --project P1 > "$T/fa.tsv" 2>/dev/null && [ ! -s "$T/fa.tsv" ]'
audit_unrefuse
v1=$(sed -n 2p "$T/f1.tsv" | awk '{ print $1 ":" $2 ":" $3 ":" $4 }')
audit_refuse count allowed
expect "a count whose access cannot be recorded prints nothing" \
  '! "$GN" count "$N" "$v1" --token "$TA" --project P1 > "$T/ca.json" 2>/dev/null && [ ! -s "$T/ca.json" ]'
audit_unrefuse
expect "and once it can, the count is answered" '"$GN" count "$N" "$v1" --token "$TA" --project P1 | grep -q "\"found\":true"'
expect "the audit chain still verifies" '"$GN" audit verify "$N" >/dev/null'
"$GN" grant "$N" --dataset DS1 --project P1 --level count >/dev/null
expect "the catalog knows which segment holds each sample" \
  '[ "$(sql "$N" "SELECT count(*) FROM samples WHERE segment IS NOT NULL")" = 503 ]'

# --- small counts
"$GN" setting "$N" small_count_threshold 5 >/dev/null
"$GN" freq "$N" --token "$TA" --project P1 | tail -n +2 > "$T/p1s.gn"
expect "counts 1..4 are suppressed below record level" \
  '[ "$(awk '"'"'$5 != "NA" && $5 > 0 && $5 < 5'"'"' "$T/p1s.gn" | wc -l)" = 0 ] && [ "$(paste "$T/p1.gn" "$T/p1s.gn" | awk '"'"'($5 > 0 && $5 < 5) != ($11 == "NA")'"'"' | wc -l)" = 0 ]'
"$GN" setting "$N" small_count_mode round >/dev/null
expect "or rounded up to the threshold" \
  '"$GN" freq "$N" --token "$TA" --project P1 | tail -n +2 | awk '"'"'$5 > 0 && $5 < 5 { bad = 1 } END { exit bad }'"'"''
expect "the steward (record level) sees exact counts" '"$GN" freq "$N" | tail -n +2 | cmp -s - <(ref "$EUR")'
"$GN" setting "$N" small_count_threshold 0 >/dev/null

# --- withdrawal changes the next answer by exactly that person
x=$(sed -n 2p "$T/allowed.txt"); xid=$(awk -v s="$x" '$2 == s { print $1 }' "$T/man.tsv")
"$GN" consent withdraw "$N" --person "$xid" >/dev/null
bcftools view -s "^$x" "$EUR" 2>/dev/null | ref /dev/stdin > "$T/wd.ref"
expect "after withdrawal, steward freq == bcftools without that sample" '"$GN" freq "$N" | tail -n +2 | cmp -s - "$T/wd.ref"'
grep -v -x "$x" "$T/allowed.txt" > "$T/allowed2.txt"
bcftools view -S "$T/allowed2.txt" "$EUR" 2>/dev/null | ref /dev/stdin > "$T/allowed2.ref"
expect "after withdrawal, researcher freq == bcftools without that sample" \
  '"$GN" freq "$N" --token "$TA" --project P1 | tail -n +2 | cmp -s - "$T/allowed2.ref"'
y=$(sed -n 3p "$T/allowed.txt"); yid=$(awk -v s="$y" '$2 == s { print $1 }' "$T/man.tsv")
"$GN" consent set "$N" --person "$yid" --clinical >/dev/null
grep -v -x "$y" "$T/allowed2.txt" > "$T/allowed3.txt"
bcftools view -S "$T/allowed3.txt" "$EUR" 2>/dev/null | ref /dev/stdin > "$T/allowed3.ref"
expect "opting out of research removes the person from research answers only" \
  '"$GN" freq "$N" --token "$TA" --project P1 | tail -n +2 | cmp -s - "$T/allowed3.ref" && "$GN" freq "$N" | tail -n +2 | cmp -s - "$T/wd.ref"'
expect "consent history is kept" '[ "$("$GN" consent show "$N" --person "$yid" | wc -l)" = 2 ]'
"$GN" consent matchmaking "$N" --person "$yid" no >/dev/null && "$GN" consent matchmaking "$N" --person "$yid" yes >/dev/null
expect "a person's matchmaking say: the newest is current, the history is kept, research answers unchanged" \
  '"$GN" consent show "$N" --person "$yid" | tail -1 | grep -q "matchmaking	yes" && [ "$(sql "$N" "SELECT count(*) FROM matchmaking_choices")" = 2 ] &&
   "$GN" freq "$N" --token "$TA" --project P1 | tail -n +2 | cmp -s - "$T/allowed3.ref"'
expect "audit show --person lists that person's consent changes" \
  '"$GN" audit show "$N" --person "$xid" | grep -q "consent.withdraw"'
"$GN" compact "$N" >/dev/null
expect "compaction purges the withdrawn person; answers unchanged" '"$GN" freq "$N" | tail -n +2 | cmp -s - "$T/wd.ref"'
expect "after compaction the withdrawn sample is in no segment" \
  '[ "$(sql "$N" "SELECT count(*) FROM samples WHERE segment IS NULL")" = 1 ]'

# --- own treatment: a clinician sees their patient's record
"$GN" user add "$N" dora --role clinician >/dev/null
TD=$("$GN" token create "$N" --user dora)
p=$(sed -n 20p "$T/samples.txt"); pid=$(awk -v s="$p" '$2 == s { print $1 }' "$T/man.tsv")
"$GN" genotypes "$N" --token "$TD" --patient "$pid" --sample "$p" > "$T/pat.vcf" 2>/dev/null
bcftools view -s "$p" "$EUR" 2>/dev/null | bcftools view -H -i 'GT="alt"' 2>/dev/null | wc -l > "$T/pat.ref"
expect "clinician: own patient's genotypes == bcftools" '[ "$(bcftools view -H "$T/pat.vcf" | wc -l)" = "$(cat "$T/pat.ref")" ]'
q=$(sed -n 21p "$T/samples.txt")
denied "clinician: another person's genotypes" "no samples of that patient" "$GN" genotypes "$N" --token "$TD" --patient "$pid" --sample "$q"
expect "the record access is audited with the patient's pseudonym" \
  '"$GN" audit show "$N" --person "$pid" | grep -q "\"action\":\"genotypes\",\"outcome\":\"allowed\""'

# --- re-identification by a steward is audited; pseudonyms differ per project
"$GN" pseudonym "$N" --id "$pid" --project P1 > "$T/pp.json"
expect "per-project pseudonym differs from the node's" \
  'a=$(grep -o "\"pseudonym\":\"gn[0-9a-f]*\"" "$T/pp.json" | cut -d\" -f4); b=$(grep -o "\"project_pseudonym\":\"gn[0-9a-f]*\"" "$T/pp.json" | cut -d\" -f4); [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]'
expect "pseudonym: a person in the catalog is in_catalog, with and without --project" \
  'grep -q "\"in_catalog\":true" "$T/pp.json" && "$GN" pseudonym "$N" --id "$pid" | grep -q "\"in_catalog\":true"'
expect "pseudonym: a person not in the catalog is not" \
  '"$GN" pseudonym "$N" --id 010199-1234 | grep -q "\"in_catalog\":false"'
expect "pseudonym: a person not in the catalog is not, with --project" \
  '"$GN" pseudonym "$N" --id 010199-1234 --project P1 | grep -q "\"in_catalog\":false"'
expect "re-identification is audited" '"$GN" audit show "$N" --person "$pid" | grep -q "pseudonym.reidentify"'

# --- the audit chain
expect "audit verify passes on the untouched log" '"$GN" audit verify "$N" --token "$TC" | grep -q "intact"'
expect "the catalog refuses to change the audit log" '! sql "$N" "UPDATE audit SET actor = '"'"'x'"'"' WHERE seq = 3" 2>/dev/null'
if [ -n "$PG" ]; then sql "$N" "DROP TRIGGER audit_no_change ON audit" >/dev/null
else sql "$N" "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"; fi
tamper() { # label expected-message tamper-sql restore-sql
  sql "$N" "$3" >/dev/null
  local msg; msg=$("$GN" audit verify "$N" 2>&1)
  if [ $? -ne 0 ] && echo "$msg" | grep -q -- "$2"; then ok "audit verify catches $1"; else ko "audit verify catches $1 ($msg)"; fi
  sql "$N" "$4" >/dev/null
  expect "audit verify passes again once restored ($1)" '"$GN" audit verify "$N" >/dev/null'
}
tamper "a changed byte" "entry 5 does not match" \
  "UPDATE audit SET records = records + 1 WHERE seq = 5" "UPDATE audit SET records = records - 1 WHERE seq = 5"
tamper "a deleted entry" "entry 6 is missing" \
  "CREATE TABLE bak AS SELECT * FROM audit WHERE seq = 6; DELETE FROM audit WHERE seq = 6" \
  "INSERT INTO audit SELECT * FROM bak; DROP TABLE bak"
tamper "an inserted entry" "entry 7 does not match" \
  "UPDATE audit SET seq = seq + 100000 WHERE seq >= 7; UPDATE audit SET seq = seq - 99999 WHERE seq >= 100000; INSERT INTO audit SELECT 7, at, 'mallory', role, purpose, action, outcome, records, detail, subjects, prev, hash FROM audit WHERE seq = 8" \
  "DELETE FROM audit WHERE seq = 7; UPDATE audit SET seq = seq + 100000 WHERE seq >= 8; UPDATE audit SET seq = seq - 100001 WHERE seq >= 100000"
tamper "a swapped pair" "entry 3 does not follow" \
  "UPDATE audit SET seq = -3 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = -3" \
  "UPDATE audit SET seq = -3 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = -3"
expect "no national ID in the audit log" '! sql "$N" "SELECT * FROM audit" | grep -q -F -f "$T/ids.txt"'

# --- GA4GH Passport: visas decide, every signature checked (testdata/passport, synthetic)
PP=testdata/passport
M="$T/m"
newnode "$M"
for d in 1 2 3 4 5; do "$GN" dataset add "$M" "DS-000$d" --terms GRU >/dev/null; done
awk 'BEGIN { OFS = "\t"; print "national_id", "sample_id", "sex", "dataset", "consent" }
     NR <= 100 { i = NR; printf "%02d%02d85-%04d\t%s\tunknown\tDS-%04d\t%s\n", 1 + i % 28, 1 + int(i / 28) % 12, 2000 + i, $1, 1 + i % 5, (i % 9 == 0 ? "clinical" : "GRU") }' \
    "$T/samples.txt" > "$T/pman.tsv"
bcftools view -S <(cut -f2 "$T/pman.tsv" | tail -n +2) "$EUR" -Oz -o "$T/p100.vcf.gz" 2>/dev/null
"$GN" ingest "$M" --batch b --quiet --manifest "$T/pman.tsv" "$T/p100.vcf.gz" >/dev/null
denied "passport when no issuer is trusted" "trusts no issuer" "$GN" freq "$M" --passport "$PP/passport.jwt" --purpose GRU
"$GN" trust add "$M" http://127.0.0.1:8089/broker/ "$PP/broker-jwks.json" >/dev/null
"$GN" trust add "$M" http://127.0.0.1:8089/dac/ "$PP/dac-jwks.json" --role visa >/dev/null
"$GN" trust prefix "$M" https://node.example.org/datasets/ >/dev/null
expect "a JWKS holding a private key is refused" '! "$GN" trust add "$M" http://x/ <(printf "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"d\":\"AQAB\"}]}") 2>/dev/null'
# record level: the datasets granted by valid visas (DS-0001; DS-0002 whose condition holds)
awk -F'\t' 'NR > 1 && ($4 == "DS-0001" || $4 == "DS-0002") && $5 == "GRU" { print $2 }' "$T/pman.tsv" > "$T/pp.rec"
"$GN" export "$M" --passport "$PP/passport.jwt" --purpose GRU -o "$T/pp.vcf" 2>/dev/null
expect "passport: record access to exactly DS-0001 and DS-0002 ($(wc -l < "$T/pp.rec") samples)" \
  '[ "$(bcftools query -l "$T/pp.vcf" | wc -l)" = "$(wc -l < "$T/pp.rec")" ] && cmp -s <(bcftools query -f "[%GT ]\n" "$T/pp.vcf") <(bcftools view -S "$T/pp.rec" "$T/p100.vcf.gz" 2>/dev/null | bcftools query -f "[%GT ]\n")'
# count level: registered access (ResearcherStatus + AcceptedTermsAndPolicies) on every dataset
awk -F'\t' 'NR > 1 && $5 == "GRU" { print $2 }' "$T/pman.tsv" > "$T/pp.cnt"
"$GN" setting "$M" small_count_threshold 0 >/dev/null
bcftools view -S "$T/pp.cnt" "$T/p100.vcf.gz" 2>/dev/null | ref /dev/stdin > "$T/pp.cnt.ref"
expect "passport: registered access counts every dataset's research-consented samples" \
  '"$GN" freq "$M" --passport "$PP/passport.jwt" --purpose GRU | tail -n +2 | cmp -s - "$T/pp.cnt.ref"'
denied "passport without a purpose" "must state its purpose" "$GN" freq "$M" --passport "$PP/passport.jwt"
tr 'A-Za-z' 'B-ZAb-za' < "$PP/passport.jwt" | head -c 300 > "$T/bad.jwt"
denied "a garbled passport" "passport rejected" "$GN" freq "$M" --passport "$T/bad.jwt" --purpose GRU
awk -F. '{ printf "%s.%s.%s", $1, $2, substr($3, 1, length($3) - 4) "AAAA" }' "$PP/passport.jwt" > "$T/sig.jwt"
denied "a passport with a changed signature" "bad signature" "$GN" freq "$M" --passport "$T/sig.jwt" --purpose GRU
# A Passport caller is no catalog user, so it is member of no project and never acts under a
# project's grants: a visa-less Passport naming a project with a record grant gets nothing.
"$GN" project add "$M" PX --purpose GRU --approval ETH-PX --expires 2099-12-31 >/dev/null
"$GN" grant "$M" --dataset DS-0003 --project PX --level record >/dev/null
mint_passport user-0009 > "$T/empty.jwt"
denied "a visa-less passport verifies but is given nothing" "no sample may be used" \
  "$GN" freq "$M" --passport "$T/empty.jwt" --purpose GRU
denied "a passport caller acting for a project (export)" "not a user of this node" \
  "$GN" export "$M" --passport "$T/empty.jwt" --project PX -o "$T/px.vcf"
denied "a passport caller acting for a project (freq)" "not a user of this node" \
  "$GN" freq "$M" --passport "$PP/passport.jwt" --project PX
expect "no export file, and the refusal is audited under the subject" \
  '[ ! -e "$T/px.vcf" ] && "$GN" audit show "$M" --user passport:user-0009 | grep "\"outcome\":\"denied\"" | grep -q "not a user of this node"'
# "aud" (RFC 7519 4.1.3): a token naming an audience must name this node's (trust audience);
# with none configured it is refused; a token without "aud" is accepted.
RA=researcherStatus,acceptedTerms
mint_passport user-0001 "$RA" '"aud":"https://node.example.org/"' > "$T/aud-ok.jwt"
mint_passport user-0001 "$RA" '"aud":["https://a.example.org/","https://node.example.org/"]' > "$T/aud-arr.jwt"
mint_passport user-0001 "$RA" '"aud":"https://other.example.org/"' > "$T/aud-bad.jwt"
mint_passport user-0001 "$RA" > "$T/aud-none.jwt"
denied "a passport with aud when the node has no audience" "audience not configured.*configure this node's audience" \
  "$GN" freq "$M" --passport "$T/aud-ok.jwt" --purpose GRU
"$GN" trust audience "$M" https://node.example.org/ >/dev/null
denied "a passport for another audience" "passport rejected: audience mismatch" \
  "$GN" freq "$M" --passport "$T/aud-bad.jwt" --purpose GRU
for f in aud-ok aud-arr aud-none; do
  expect "passport $f: accepted (registered access counts)" \
    '"$GN" freq "$M" --passport "$T/$f.jwt" --purpose GRU | tail -n +2 | cmp -s - "$T/pp.cnt.ref"'
done
expect "trust audience without an identifier is a usage error" '! "$GN" trust audience "$M" 2>/dev/null'
expect "passport refusals are audited" '"$GN" audit show "$M" | grep -q "\"action\":\"auth.passport\",\"outcome\":\"denied\""'
expect "passport accesses are audited under the subject" '"$GN" audit show "$M" --user passport:user-0001 | grep -q "\"action\":\"export\",\"outcome\":\"allowed\""'
expect "duo match: GRU consent allows an HMB purpose" '"$GN" duo match --consent GRU --purpose HMB | grep -q "^allowed"'
expect "duo match: NPU consent denies a for-profit purpose, with the reason" \
  '! "$GN" duo match --consent HMB,NPU --purpose HMB > "$T/duo.txt" && grep -q "^denied: .*NPU" "$T/duo.txt"'

# --- phenopacket import creates a person without samples; ingest's purge of what an
# unfinished ingest left removes only that ingest's own people, all or nothing
printf 'national_id\tsample_id\tsex\tdataset\tconsent\n020285-1999\tNEWSUBJ\tfemale\tDS-0001\tGRU\n' > "$T/new.tsv"
echo '{"id":"x","subject":{"id":"NEWSUBJ"},"phenotypicFeatures":[{"type":{"id":"HP:0001250","label":"Seizure"}}],"metaData":{"created":"2024-01-01T00:00:00Z","createdBy":"t","phenopacketSchemaVersion":"2.0"}}' > "$T/new.json"
"$GN" phenopacket import "$M" "$T/new.json" --manifest "$T/new.tsv" >/dev/null 2>&1
newp="SELECT count(*) FROM consent_events e JOIN phenopackets p ON p.individual_id = e.individual_id"
expect "import --manifest records a new person with one consent event" '[ "$(sql "$M" "$newp")" = 1 ]'
"$GN" phenopacket import "$M" "$T/new.json" --manifest "$T/new.tsv" --dataset DS-OTHER >/dev/null 2>"$T/dsx.err"
expect "import --manifest with a --dataset the sheet contradicts: refused, naming both" \
  '[ $? -ne 0 ] && grep -q "dataset DS-OTHER disagrees with the manifest.s dataset DS-0001" "$T/dsx.err"'
bcftools query -l "$T/p100.vcf.gz" | head -3 | sed 's/^/X/' > "$T/x.names"
bcftools view -s "$(bcftools query -l "$T/p100.vcf.gz" | head -3 | paste -sd,)" "$T/p100.vcf.gz" 2>/dev/null |
  bcftools reheader -s "$T/x.names" 2>/dev/null | bcftools view -Oz -o "$T/x.vcf.gz" 2>/dev/null
sed 's/^/Y/' "$T/x.names" > "$T/y.names"
bcftools reheader -s "$T/y.names" "$T/x.vcf.gz" -o "$T/y.vcf.gz" 2>/dev/null
sed 's/^/Z/' "$T/x.names" > "$T/z.names"
bcftools reheader -s "$T/z.names" "$T/x.vcf.gz" -o "$T/z.vcf.gz" 2>/dev/null
sed 's/^/W/' "$T/x.names" > "$T/w.names"
bcftools reheader -s "$T/w.names" "$T/x.vcf.gz" -o "$T/w.vcf.gz" 2>/dev/null
expect "a later ingest succeeds and keeps the imported person's consent" \
  '"$GN" ingest "$M" --batch after-import --quiet "$T/x.vcf.gz" >/dev/null && [ "$(sql "$M" "$newp")" = 1 ]'
# an ingest whose catalog rows committed but whose manifest never did (a crash between the
# two): its people, consent events, samples and batch go at the next ingest, nothing else
counts() { sql "$M" "SELECT (SELECT count(*) FROM individuals), (SELECT count(*) FROM consent_events), (SELECT count(*) FROM samples), (SELECT count(*) FROM batches)"; }
before_u=$(counts)
awk 'BEGIN { OFS = "\t"; print "national_id", "sample_id", "sex", "dataset", "consent" }
     { printf "%02d0386-%04d\t%s\tmale\tDS-0001\tGRU\n", NR, 3000 + NR, $1 }' "$T/y.names" > "$T/y.tsv"
cp "$M/MANIFEST" "$T/MANIFEST.keep"
"$GN" ingest "$M" --batch unfinished --quiet --manifest "$T/y.tsv" "$T/y.vcf.gz" >/dev/null
cp "$T/MANIFEST.keep" "$M/MANIFEST"
expect "an ingest after an unfinished one removes exactly its 3 people, 3 consent events, 3 samples and its batch" \
  '[ "$(counts)" != "$before_u" ] && "$GN" ingest "$M" --batch next --quiet "$T/z.vcf.gz" >/dev/null &&
   [ "$(counts)" = "$(echo "$before_u" | awk -F"|" -v OFS="|" "{ \$3 += 3; \$4 += 1; print }")" ] && [ "$(sql "$M" "$newp")" = 1 ]'
# all or nothing: a purge that fails changes nothing
cp "$M/MANIFEST" "$T/MANIFEST.keep"
"$GN" ingest "$M" --batch unfinished --quiet --manifest "$T/y.tsv" "$T/y.vcf.gz" >/dev/null
cp "$T/MANIFEST.keep" "$M/MANIFEST"
before_f=$(counts)
if [ -n "$PG" ]; then
  sql "$M" "CREATE FUNCTION gn_keep() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'kept'; END \$\$; CREATE TRIGGER gn_keep BEFORE DELETE ON individuals FOR EACH ROW EXECUTE FUNCTION gn_keep()" >/dev/null
else
  sql "$M" "CREATE TRIGGER gn_keep BEFORE DELETE ON individuals BEGIN SELECT RAISE(ABORT, 'kept'); END"
fi
"$GN" ingest "$M" --batch next2 --quiet "$T/w.vcf.gz" > /dev/null 2> "$T/keep.err"; krc=$?
expect "a purge that fails leaves the catalog as it was (consent events too) and ingests nothing" \
  '[ $krc -ne 0 ] && grep -q kept "$T/keep.err" && [ "$(counts)" = "$before_f" ]'
if [ -n "$PG" ]; then sql "$M" "DROP TRIGGER gn_keep ON individuals" >/dev/null; else sql "$M" "DROP TRIGGER gn_keep"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
