/*
 * test_hpo.c — the HPO parsers and index (hpo_src, hpo) and the disease ranking
 * (hpo_rank) on a small hand-made ontology whose answers can be worked out by hand, plus
 * the real format fixtures in testdata/hpo (hp.obo and OBO-Graphs excerpts).
 *
 * The toy ontology: All > Phenotypic abnormality > {nervous system > {Seizure >
 * Bilateral tonic-clonic seizure, Global developmental delay}, eye > Visual impairment >
 * Blindness, head or neck > Microcephaly}, plus Mode of inheritance > AD, Onset >
 * {Congenital, Pediatric > Infantile, Adult > Late} (OMIM:1 infantile, OMIM:3 congenital),
 * and an obsolete seizure term replaced by Seizure.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "alloc.h"
#include "buf.h"
#include "generegion.h"
#include "hpo.h"
#include "hpo_rank.h"
#include "hpo_twin.h"
#include "hpo_src.h"
#include "test.h"

static const char terms_tsv[] = "#hpo_version\t2099-01-01\n"
                                "#term_id\tname\tobsolete\treplaced_by\n"
                                "HP:0000001\tAll\t0\t\n"
                                "HP:0000118\tPhenotypic abnormality\t0\t\n"
                                "HP:0000005\tMode of inheritance\t0\t\n"
                                "HP:0000006\tAutosomal dominant inheritance\t0\t\n"
                                "HP:0000707\tAbnormality of the nervous system\t0\t\n"
                                "HP:0001250\tSeizure\t0\t\n"
                                "HP:0002069\tBilateral tonic-clonic seizure\t0\t\n"
                                "HP:0001263\tGlobal developmental delay\t0\t\n"
                                "HP:0000478\tAbnormality of the eye\t0\t\n"
                                "HP:0000505\tVisual impairment\t0\t\n"
                                "HP:0000618\tBlindness\t0\t\n"
                                "HP:0000152\tAbnormality of head or neck\t0\t\n"
                                "HP:0000252\tMicrocephaly\t0\t\n"
                                "HP:0003674\tOnset\t0\t\n"
                                "HP:0003577\tCongenital onset\t0\t\n"
                                "HP:0410280\tPediatric onset\t0\t\n"
                                "HP:0003593\tInfantile onset\t0\t\n"
                                "HP:0003581\tAdult onset\t0\t\n"
                                "HP:0003584\tLate onset\t0\t\n"
                                "HP:0009999\tobsolete Old seizure\t1\tHP:0001250\n";

static const char is_a_tsv[] = "#child\tparent\n"
                               "HP:0000118\tHP:0000001\nHP:0000005\tHP:0000001\n"
                               "HP:0000006\tHP:0000005\nHP:0000707\tHP:0000118\n"
                               "HP:0001250\tHP:0000707\nHP:0002069\tHP:0001250\n"
                               "HP:0001263\tHP:0000707\nHP:0000478\tHP:0000118\n"
                               "HP:0000505\tHP:0000478\nHP:0000618\tHP:0000505\n"
                               "HP:0000152\tHP:0000118\nHP:0000252\tHP:0000152\n"
                               "HP:0003674\tHP:0000001\nHP:0003577\tHP:0003674\n"
                               "HP:0410280\tHP:0003674\nHP:0003593\tHP:0410280\n"
                               "HP:0003581\tHP:0003674\nHP:0003584\tHP:0003581\n";

#define ROW(d, l, q, t, f, a) d "\t" l "\t" q "\t" t "\tPMID:1\tPCS\t\t" f "\t\t\t" a "\tHPO:x\n"
static const char hpoa[] =
    "#description: \"toy\"\n#version: 2099-02-02\n"
    "database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency\tsex\t"
    "modifier\taspect\tbiocuration\n" ROW("OMIM:1", "Epilepsy A", "", "HP:0001250", "HP:0040281",
                                          "P")
        ROW("OMIM:1", "Epilepsy A", "", "HP:0001263", "5/10", "P")
            ROW("OMIM:1", "Epilepsy A", "", "HP:0000006", "", "I")
                ROW("OMIM:1", "Epilepsy A", "", "HP:0003593", "", "C") ROW("OMIM:3", "Micro C", "",
                                                                           "HP:0003577", "", "C")
                    ROW("OMIM:2", "Eye B", "", "HP:0000618", "", "P") ROW("OMIM:2", "Eye B", "",
                                                                          "HP:0000505", "40%", "P")
                        ROW("OMIM:2", "Eye B", "NOT", "HP:0001250", "", "P")
                            ROW("OMIM:3", "Micro C", "", "HP:0000252", "", "P")
                                ROW("OMIM:3", "Micro C", "", "HP:0002069", "HP:0040283", "P")
                                    ROW("OMIM:3", "Micro C", "", "HP:0001263", "", "P")
                                        ROW("ORPHA:4", "Broad D", "", "HP:0009999", "", "P")
                                            ROW("ORPHA:4", "Broad D", "", "HP:0000707", "", "P")
                                                ROW("ORPHA:4", "Broad D", "", "HP:0000478", "", "P")
                                                    ROW("ORPHA:4", "Broad D", "", "HP:0000152", "",
                                                        "P");

static const char genes_txt[] =
    "ncbi_gene_id\tgene_symbol\thpo_id\thpo_name\tfrequency\tdisease_id\n"
    "100\tGENEA\tHP:0001250\tSeizure\t-\tOMIM:1\n"
    "300\tGENEC\tHP:0000252\tMicrocephaly\t-\tOMIM:3\n";

static struct hpo *toy_from(const char *annotations, struct hpo_src_stats *st)
{
    struct hpo_src *s = NULL;
    struct hpo *h = NULL;
    struct gn_err err = GN_ERR_INIT;
    ASSERT_OK(hpo_src_new(&s, &err));
    ASSERT_OK(hpo_src_add(s, HPO_SRC_GENE_TSV, genes_txt, strlen(genes_txt), "g", &err));
    ASSERT_OK(hpo_src_add(s, HPO_SRC_HPOA, annotations, strlen(annotations), "a", &err));
    ASSERT_OK(hpo_src_add(s, HPO_SRC_TERMS_TSV, terms_tsv, strlen(terms_tsv), "t", &err));
    ASSERT_OK(hpo_src_add(s, HPO_SRC_IS_A_TSV, is_a_tsv, strlen(is_a_tsv), "i", &err));
    if (hpo_src_build(s, &h, st, &err) < 0) TEST_FAIL_("build: %s", err.msg);
    hpo_src_free(s);
    return h;
}

/* The toy ontology with its own gene links, mim2gene rows and annotations. */
static struct hpo *toy_genes(const char *genes, const char *mim2gene, const char *ann)
{
    struct hpo_src *s = NULL;
    struct hpo *h = NULL;
    struct gn_err err = GN_ERR_INIT;
    ASSERT_OK(hpo_src_new(&s, &err));
    ASSERT_OK(hpo_src_add(s, HPO_SRC_GENE_TSV, genes, strlen(genes), "g", &err));
    ASSERT_OK(hpo_src_add(s, HPO_SRC_MIM2GENE, mim2gene, strlen(mim2gene), "m", &err));
    ASSERT_OK(hpo_src_add(s, HPO_SRC_HPOA, ann, strlen(ann), "a", &err));
    ASSERT_OK(hpo_src_add(s, HPO_SRC_TERMS_TSV, terms_tsv, strlen(terms_tsv), "t", &err));
    ASSERT_OK(hpo_src_add(s, HPO_SRC_IS_A_TSV, is_a_tsv, strlen(is_a_tsv), "i", &err));
    ASSERT_OK(hpo_src_build(s, &h, NULL, &err));
    hpo_src_free(s);
    return h;
}

static struct hpo *toy(struct hpo_src_stats *st)
{
    return toy_from(hpoa, st);
}

static uint32_t term(const struct hpo *h, uint32_t id)
{
    uint32_t t = hpo_term_index(h, id);
    ASSERT_TRUE(t != HPO_NONE);
    return t;
}

static void test_build(void)
{
    struct hpo_src_stats st;
    struct hpo *h = toy(&st);
    struct gn_err err = GN_ERR_INIT;
    enum hpo_resolved how;
    uint32_t d;
    ASSERT_EQ_STR(hpo_str(h, h->version), "2099-01-01");
    ASSERT_EQ_INT(h->n_terms, 20);
    ASSERT_EQ_INT(h->n_dis, 4);
    ASSERT_EQ_INT(st.not_annotations, 1);
    ASSERT_EQ_INT(st.ann_remapped, 1);      /* HP:0009999 → Seizure for ORPHA:4 */
    ASSERT_EQ_INT(st.ann_not_phenotype, 0); /* the inheritance row: aspect I, skipped */
    ASSERT_EQ_INT(st.onset_annotations, 2); /* the aspect C rows: onset bands */
    ASSERT_EQ_INT(st.with_onset, 2);
    ASSERT_EQ_INT(st.with_frequency, 4);
    ASSERT_EQ_STR(hpo_str(h, h->dis_id[0]), "OMIM:1"); /* sorted by id */
    ASSERT_EQ_STR(hpo_str(h, h->dis_label[3]), "Broad D");
    /* closure and counts: the nervous system has OMIM:1, OMIM:3 and ORPHA:4 below it */
    ASSERT_TRUE(hpo_is_ancestor(h, term(h, 118), term(h, 2069)));
    ASSERT_TRUE(!hpo_is_ancestor(h, term(h, 478), term(h, 2069)));
    ASSERT_EQ_INT(h->term_ndis[term(h, 707)], 3);
    ASSERT_EQ_INT(h->term_ndis[term(h, 1250)], 3); /* OMIM:1, OMIM:3 (below), ORPHA:4 */
    ASSERT_EQ_INT(h->term_ndis[term(h, 1)], 4);
    ASSERT_TRUE(h->ic[term(h, 618)] > h->ic[term(h, 505)] - 1e-9);
    /* frequencies: 5/10 → 50, very frequent → 90 */
    d = hpo_disease_index(h, "OMIM:1", 6);
    ASSERT_EQ_INT(h->dt_off[d + 1] - h->dt_off[d], 2);
    ASSERT_EQ_INT(h->dt_freq[h->dt_off[d]], 90); /* terms by index: HP:0001250 first */
    ASSERT_EQ_INT(h->dt_freq[h->dt_off[d] + 1], 50);
    /* genes from genes_to_phenotype.txt's disease column */
    ASSERT_EQ_INT(h->n_genes, 2);
    ASSERT_EQ_STR(hpo_str(h, h->gene_sym[h->dg_gene[h->dg_off[d]]]), "GENEA");
    ASSERT_EQ_INT(hpo_gene_index(h, "NCBIGene:300", 12), hpo_gene_index(h, "GENEC", 5));
    /* resolution */
    ASSERT_EQ_INT(hpo_resolve(h, "HP:0009999", 10, &how, &err), (int)term(h, 1250));
    ASSERT_EQ_INT(how, HPO_RESOLVED_REPLACED);
    ASSERT_EQ_INT(hpo_resolve(h, "HP:1234567", 10, &how, &err), GN_ENOTFOUND);
    ASSERT_TRUE(strstr(err.msg, "unknown HPO term HP:1234567") != NULL);
    ASSERT_EQ_INT(hpo_resolve(h, "HPX:1", 5, &how, &err), GN_EPARSE);
    hpo_free(h);
}

static int first(struct hpo_ranker *r, const struct hpo *h, const struct hpo_query *q,
                 enum hpo_rank_method m, int genes)
{
    struct hpo_score sc[4];
    uint32_t order[4];
    struct gn_err err = GN_ERR_INIT;
    ASSERT_OK(hpo_rank_score(r, q, sc, &err));
    ASSERT_OK(hpo_rank_order(r, sc, h->n_dis, m, genes, order, &err));
    return (int)order[0];
}

static void test_rank(void)
{
    struct hpo *h = toy(NULL);
    struct hpo_ranker *r = NULL;
    struct gn_err err = GN_ERR_INIT;
    struct hpo_score sc[4];
    struct hpo_match mt[8];
    uint32_t o1[2] = {term(h, 2069), term(h, 252)}, o2[2] = {term(h, 1250), term(h, 1263)};
    uint32_t o3[1] = {term(h, 618)}, o4[1] = {term(h, 1263)}, x4[1] = {term(h, 252)};
    uint32_t seiz[1] = {term(h, 1250)}, g[1] = {hpo_gene_index(h, "GENEC", 5)};
    uint32_t d1 = hpo_disease_index(h, "OMIM:1", 6), d2 = hpo_disease_index(h, "OMIM:2", 6);
    uint32_t d3 = hpo_disease_index(h, "OMIM:3", 6);
    struct hpo_query q = {o1, 2, NULL, 0, NULL, 0, 0};
    ASSERT_OK(hpo_ranker_new(h, NULL, &r, &err));
    for (int m = 0; m < HPO_RANK_N; m++) { /* exact matches on both terms: OMIM:3 */
        q = (struct hpo_query){o1, 2, NULL, 0, NULL, 0, 0};
        ASSERT_EQ_INT(first(r, h, &q, (enum hpo_rank_method)m, 0), d3);
        q = (struct hpo_query){o3, 1, NULL, 0, NULL, 0, 0};
        ASSERT_EQ_INT(first(r, h, &q, (enum hpo_rank_method)m, 0), d2);
    }
    q = (struct hpo_query){o2, 2, NULL, 0, NULL, 0, 0}; /* OMIM:1 has both exactly */
    ASSERT_EQ_INT(first(r, h, &q, HPO_RANK_LR, 0), d1);
    ASSERT_EQ_INT(first(r, h, &q, HPO_RANK_COMBINED, 0), d1);
    /* the explanation of OMIM:3 for Seizure: it has the more specific tonic-clonic term */
    ASSERT_EQ_INT(hpo_rank_explain(r, &q, d3, mt), 2);
    ASSERT_EQ_INT(mt[0].kind, HPO_MATCH_IMPLIED);
    ASSERT_EQ_INT(mt[0].dterm, term(h, 2069));
    /* OMIM:2 is annotated NOT seizure: last by LR for a seizure patient */
    q = (struct hpo_query){seiz, 1, NULL, 0, NULL, 0, 0};
    ASSERT_OK(hpo_rank_score(r, &q, sc, &err));
    for (uint32_t d = 0; d < h->n_dis; d++)
        ASSERT_TRUE(d == d2 || sc[d].s[HPO_RANK_LR] > sc[d2].s[HPO_RANK_LR]);
    ASSERT_EQ_INT(hpo_rank_explain(r, &q, d2, mt), 1);
    ASSERT_EQ_INT(mt[0].kind, HPO_MATCH_NOT_ANNOTATED);
    /* developmental delay: OMIM:1 and OMIM:3 both have it; excluding microcephaly
     * lowers OMIM:3, the candidate gene GENEC raises it again */
    q = (struct hpo_query){o4, 1, x4, 1, NULL, 0, 0};
    ASSERT_EQ_INT(first(r, h, &q, HPO_RANK_LR, 0), d1);
    q = (struct hpo_query){o4, 1, x4, 1, g, 1, 0};
    ASSERT_EQ_INT(first(r, h, &q, HPO_RANK_LR, 1), d3);
    ASSERT_EQ_INT(first(r, h, &q, HPO_RANK_RESNIK, 1), d3);
    ASSERT_OK(hpo_rank_score(r, &q, sc, &err));
    ASSERT_EQ_INT(sc[d3].gene, g[0]);
    ASSERT_TRUE(hpo_rank_of(r, sc, h->n_dis, HPO_RANK_LR, 1, d3, HPO_TIES_HALF) == 1.0);
    /* tie conventions: OMIM:1 and OMIM:3 both have the delay, so they tie on Resnik */
    q = (struct hpo_query){o4, 1, NULL, 0, NULL, 0, 0};
    ASSERT_OK(hpo_rank_score(r, &q, sc, &err));
    {
        uint32_t eq = 0;
        double sh = hpo_rank_of(r, sc, h->n_dis, HPO_RANK_RESNIK, 0, d1, HPO_TIES_SHARE);
        for (uint32_t i = 0; i < h->n_dis; i++)
            eq += i != d1 && sc[i].s[HPO_RANK_RESNIK] == sc[d1].s[HPO_RANK_RESNIK];
        ASSERT_TRUE(eq >= 1 && sc[d3].s[HPO_RANK_RESNIK] == sc[d1].s[HPO_RANK_RESNIK]);
        ASSERT_TRUE(hpo_rank_of(r, sc, h->n_dis, HPO_RANK_RESNIK, 0, d1, HPO_TIES_STRICT) ==
                    sh + eq);
        ASSERT_TRUE(hpo_rank_of(r, sc, h->n_dis, HPO_RANK_RESNIK, 0, d1, HPO_TIES_HALF) ==
                    sh + eq / 2.0);
    }
    /* no observed terms: an error, not an empty ranking */
    q = (struct hpo_query){NULL, 0, NULL, 0, NULL, 0, 0};
    ASSERT_EQ_INT(hpo_rank_score(r, &q, sc, &err), GN_EINVAL);
    hpo_ranker_free(r);
    hpo_free(h);
}

/* The exact-term share of the combined score: Seizure + developmental delay. OMIM:1 is
 * annotated with both as they are, OMIM:3 with the delay and only a more specific seizure
 * (tonic-clonic), OMIM:2 with neither: the combined score moves by w_exact times 2/2, 1/2
 * and 0/2, every other method not at all. */
static void test_rank_exact(void)
{
    struct hpo *h = toy(NULL);
    struct hpo_ranker *r0 = NULL, *r1 = NULL;
    struct hpo_rank_params p;
    struct gn_err err = GN_ERR_INIT;
    struct hpo_score s0[4], s1[4];
    uint32_t o2[2] = {term(h, 1250), term(h, 1263)};
    uint32_t d1 = hpo_disease_index(h, "OMIM:1", 6), d2 = hpo_disease_index(h, "OMIM:2", 6);
    uint32_t d3 = hpo_disease_index(h, "OMIM:3", 6);
    struct hpo_query q = {o2, 2, NULL, 0, NULL, 0, 0};
    hpo_rank_params_default(&p);
    ASSERT_TRUE(p.w_exact > 0);
    ASSERT_OK(hpo_ranker_new(h, &p, &r1, &err));
    p.w_exact = 0;
    ASSERT_OK(hpo_ranker_new(h, &p, &r0, &err));
    ASSERT_OK(hpo_rank_score(r0, &q, s0, &err));
    ASSERT_OK(hpo_rank_score(r1, &q, s1, &err));
    hpo_rank_params_default(&p);
    ASSERT_TRUE(fabs(s1[d1].s[HPO_RANK_COMBINED] - s0[d1].s[HPO_RANK_COMBINED] - (p.w_exact)) <
                1e-9);
    ASSERT_TRUE(fabs(s1[d3].s[HPO_RANK_COMBINED] - s0[d3].s[HPO_RANK_COMBINED] - (p.w_exact / 2)) <
                1e-9);
    ASSERT_TRUE(fabs(s1[d2].s[HPO_RANK_COMBINED] - (s0[d2].s[HPO_RANK_COMBINED])) < 1e-9);
    for (int m = 0; m < HPO_RANK_COMBINED; m++) {
        for (uint32_t d = 0; d < h->n_dis; d++)
            ASSERT_TRUE(fabs(s1[d].s[m] - (s0[d].s[m])) < 1e-12);
    }
    hpo_ranker_free(r0);
    hpo_ranker_free(r1);
    hpo_free(h);
}

/* OMIM/Orphanet twins: the same label (twins >= 1) or the same words in another order
 * (twins = 2), only when exactly one OMIM and one Orphanet entry carry it. */
static void test_rank_twins(void)
{
    static const char *const dis[][2] = {
        {"OMIM:10", "Hyperoxaluria, primary, type I"},
        {"ORPHA:10", "Primary hyperoxaluria type 1"},
        {"OMIM:11", "Achondroplasia"},
        {"ORPHA:11", "ACHONDROPLASIA;"},
        {"OMIM:12", "Goldberg-Shprintzen syndrome"},
        {"ORPHA:12", "Shprintzen-Goldberg syndrome"},
        {"OMIM:13", "Spastic paraplegia 3, autosomal dominant"},
        {"ORPHA:13", "Autosomal dominant spastic paraplegia type 3"},
        {"ORPHA:14", "Spastic paraplegia type 3, autosomal dominant"},
        {"OMIM:15", "von Hippel-Lindau syndrome"},
        {"ORPHA:15", "Von Hippel-Lindau disease"},
        {"OMIM:16", "Mucopolysaccharidosis, type X"},
        {"ORPHA:16", "Mucopolysaccharidosis type 10"},
        {"OMIM:17", "Achondroplasia and deafness"},
        {"OMIM:18", "Deafness and achondroplasia"},
        {"OMIM:190", "Achondrogenesis, type IB"},
        {"ORPHA:190", "Achondrogenesis type 1B"},
        {"OMIM:191", "Ataxia with deafness IA"}, /* a letter after a numeral only after "type" */
        {"ORPHA:191", "Ataxia-deafness 1A syndrome"},
        {"OMIM:19", NULL}, /* longer than the fold's buffers: cut, never overrun */
        {"ORPHA:19", NULL},
        {"OMIM:20", NULL}};
    static const struct {
        const char *omim, *orpha; /* the Orphanet twin, NULL: none */
        int from;                 /* the lowest twins value that pairs them */
    } want[] = {
        {"OMIM:10", "ORPHA:10", 2}, {"OMIM:11", "ORPHA:11", 1},   {"OMIM:12", NULL, 0},
        {"OMIM:13", NULL, 0},       {"OMIM:15", "ORPHA:15", 2},   {"OMIM:16", "ORPHA:16", 2},
        {"OMIM:17", NULL, 0},       {"OMIM:18", NULL, 0},         {"OMIM:19", NULL, 0},
        {"OMIM:20", NULL, 0},       {"OMIM:190", "ORPHA:190", 2}, {"OMIM:191", NULL, 0}};
    char twins_hpoa[16384], big[3][1024];
    size_t n = (size_t)snprintf(twins_hpoa, sizeof twins_hpoa, "%s",
                                "#version: 2099-02-02\ndatabase_id\tdisease_name\tqualifier\thpo_id"
                                "\treference\tevidence\tonset\tfrequency\tsex\tmodifier\taspect"
                                "\tbiocuration\n");
    for (int i = 0; i < 3; i++) { /* eponym-joined words, a long word run, many short words */
        size_t k = 0;
        while (k + 40 < sizeof big[i] - 1)
            k += (size_t)snprintf(big[i] + k, sizeof big[i] - k, "%s",
                                  i == 2 ? "a b c d e f g h i j k l m n o p q r s t "
                                  : i    ? "Abcdefghijklmnopqrstuvwxyzabcdefghijklm"
                                         : "Abcdefghijklmnopqrstuvwxyzabcdefghijkl-");
    }
    for (size_t i = 0; i < sizeof dis / sizeof dis[0]; i++) {
        const char *label = dis[i][1] ? dis[i][1] : big[i - 19];
        n += (size_t)snprintf(twins_hpoa + n, sizeof twins_hpoa - n,
                              "%s\t%s\t\tHP:0001250\tPMID:1\tPCS\t\t\t\t\tP\tHPO:x\n", dis[i][0],
                              label);
        ASSERT_TRUE(n < sizeof twins_hpoa);
    }
    struct hpo *h = toy_from(twins_hpoa, NULL);
    struct gn_err err = GN_ERR_INIT;
    for (int tw = 0; tw <= 2; tw++) {
        struct hpo_rank_params p;
        struct hpo_ranker *r = NULL;
        hpo_rank_params_default(&p);
        p.twins = tw;
        ASSERT_OK(hpo_ranker_new(h, &p, &r, &err));
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            uint32_t d = hpo_disease_index(h, want[i].omim, strlen(want[i].omim));
            uint32_t t = hpo_rank_twin(r, d);
            ASSERT_TRUE(d != HPO_NONE);
            if (want[i].orpha && tw >= want[i].from) {
                ASSERT_TRUE(t != HPO_NONE);
                ASSERT_EQ_STR(hpo_str(h, h->dis_id[t]), want[i].orpha);
                ASSERT_EQ_INT(hpo_rank_twin(r, t), d);
            } else {
                ASSERT_EQ_INT(t, HPO_NONE);
            }
        }
        hpo_ranker_free(r);
    }
    hpo_free(h);
}

/* The third pass (twins = 3): an Orphanet entry without genes takes the one gene whose
 * phenotype links hold all its annotations, and pairs with that gene's one OMIM entry when
 * the gene has no other entry and the labels share a word. */
static void test_rank_gene_twins(void)
{
#define GROW(d, l, t) d "\t" l "\t\t" t "\tPMID:1\tPCS\t\t\t\t\tP\tHPO:x\n"
    static const char ann[] =
        "#version: 2099-02-02\ndatabase_id\tdisease_name\tqualifier\thpo_id\treference\tevidence"
        "\tonset\tfrequency\tsex\tmodifier\taspect\tbiocuration\n" /* */
        GROW("OMIM:30", "Itch deficiency", "HP:0001250")
            GROW("ORPHA:30", "Syndromic autoimmune disease due to ITCH deficiency", "HP:0001250")
                GROW("ORPHA:30", "Syndromic autoimmune disease due to ITCH deficiency",
                     "HP:0000252") /* GENEP: a pair */
        GROW("OMIM:31", "Alpha syndrome", "HP:0000618")
            GROW("ORPHA:31", "Beta syndrome", "HP:0000618") /* GENEQ: no word in common */
        GROW("OMIM:32", "Retinal dystrophy 1", "HP:0000505")
            GROW("OMIM:33", "Retinal dystrophy 2", "HP:0000505")
                GROW("ORPHA:32", "Retinal dystrophy", "HP:0000505") /* GENER: two OMIM */
        GROW("OMIM:34", "Gamma ataxia", "HP:0002069")
            GROW("ORPHA:34", "Infantile gamma ataxia", "HP:0002069")
                GROW("ORPHA:35", "Adult gamma ataxia", "HP:0002069") /* GENES: two Orphanet */
        GROW("OMIM:36", "Delta encephalopathy", "HP:0001263")
            GROW("ORPHA:36", "Neonatal delta encephalopathy", "HP:0001263") /* GENET or U */
        GROW("OMIM:37", "Omega disease", "HP:0000152")
            GROW("ORPHA:37", "Omega anomaly", "HP:0000478") /* not in GENEV's links */;
#undef GROW
    static const char genes[] = "#ncbi_gene_id\tgene_symbol\thpo_id\n"
                                "1\tGENEP\tHP:0001250\n1\tGENEP\tHP:0000252\n"
                                "2\tGENEQ\tHP:0000618\n3\tGENER\tHP:0000505\n"
                                "4\tGENES\tHP:0002069\n5\tGENET\tHP:0001263\n"
                                "6\tGENEU\tHP:0001263\n6\tGENEU\tHP:0000707\n"
                                "7\tGENEV\tHP:0000152\n";
    static const char mim2gene[] = "#MIM number\tGeneID\ttype\tSource\tMedGenCUI\tComment\n"
                                   "30\t1\tphenotype\t-\tC1\t-\n31\t2\tphenotype\t-\tC1\t-\n"
                                   "32\t3\tphenotype\t-\tC1\t-\n33\t3\tphenotype\t-\tC1\t-\n"
                                   "34\t4\tphenotype\t-\tC1\t-\n36\t5\tphenotype\t-\tC1\t-\n"
                                   "37\t7\tphenotype\t-\tC1\t-\n";
    static const char *const want[][2] = {
        {"OMIM:30", "ORPHA:30"}, {"OMIM:31", NULL}, {"OMIM:32", NULL}, {"OMIM:33", NULL},
        {"OMIM:34", NULL},       {"OMIM:36", NULL}, {"OMIM:37", NULL}};
    struct hpo *h = toy_genes(genes, mim2gene, ann);
    struct gn_err err = GN_ERR_INIT;
    for (int tw = 2; tw <= 3; tw++) {
        struct hpo_rank_params p;
        struct hpo_ranker *r = NULL;
        hpo_rank_params_default(&p);
        p.twins = tw;
        ASSERT_OK(hpo_ranker_new(h, &p, &r, &err));
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            uint32_t d = hpo_disease_index(h, want[i][0], strlen(want[i][0]));
            uint32_t t = hpo_rank_twin(r, d);
            ASSERT_TRUE(d != HPO_NONE);
            if (want[i][1] && tw == 3) {
                ASSERT_TRUE(t != HPO_NONE);
                ASSERT_EQ_STR(hpo_str(h, h->dis_id[t]), want[i][1]);
                ASSERT_EQ_INT(hpo_rank_twin(r, t), d);
            } else {
                ASSERT_EQ_INT(t, HPO_NONE);
            }
        }
        hpo_ranker_free(r);
    }
    hpo_free(h);
}

/* The fourth pass (twins = 4): an Orphanet entry with one gene pairs with the gene's OMIM
 * entry whose annotations are most like its own, when clearly the most like (a Jaccard
 * index of 0.3 or more, every other entry at most half of it), chosen by no other Orphanet
 * entry, and both or neither a chromosomal imbalance. */
static void test_rank_profile_twins(void)
{
#define GROW(d, l, t) d "\t" l "\t\t" t "\tPMID:1\tPCS\t\t\t\t\tP\tHPO:x\n"
    static const char ann[] =
        "#version: 2099-02-02\ndatabase_id\tdisease_name\tqualifier\thpo_id\treference\tevidence"
        "\tonset\tfrequency\tsex\tmodifier\taspect\tbiocuration\n" /* GENEW: a pair */
        GROW("OMIM:40", "Kappa syndrome", "HP:0000478")
            GROW("OMIM:40", "Kappa syndrome", "HP:0000707")
                GROW("OMIM:41", "Lambda ataxia", "HP:0000152")
                    GROW("ORPHA:40", "Nu dysplasia", "HP:0000478")
                        GROW("ORPHA:40", "Nu dysplasia", "HP:0000707") /* GENEX: two alike */
        GROW("OMIM:42", "Xi disease", "HP:0000618") GROW("OMIM:42", "Xi disease", "HP:0000252")
            GROW("OMIM:43", "Omicron disease", "HP:0000618")
                GROW("OMIM:43", "Omicron disease", "HP:0000252")
                    GROW("OMIM:43", "Omicron disease", "HP:0002069")
                        GROW("ORPHA:42", "Pi anomaly", "HP:0000618")
                            GROW("ORPHA:42", "Pi anomaly", "HP:0000252") /* GENEY: two claims */
        GROW("OMIM:44", "Rho syndrome", "HP:0000505") GROW("OMIM:44", "Rho syndrome", "HP:0001263")
            GROW("OMIM:45", "Sigma syndrome", "HP:0001250")
                GROW("ORPHA:44", "Tau anomaly", "HP:0000505")
                    GROW("ORPHA:44", "Tau anomaly", "HP:0001263")
                        GROW("ORPHA:45", "Upsilon anomaly", "HP:0000505")
                            GROW("ORPHA:45", "Upsilon anomaly", "HP:0001263") /* GENEZ */
        GROW("OMIM:46", "Phi syndrome", "HP:0002069") GROW("OMIM:46", "Phi syndrome", "HP:0000478")
            GROW("ORPHA:46", "1p99 microdeletion syndrome", "HP:0002069")
                GROW("ORPHA:46", "1p99 microdeletion syndrome", "HP:0000478");
#undef GROW
    static const char genes[] =
        "#ncbi_gene_id\tgene_symbol\thpo_id\n"
        "8\tGENEW\tHP:0000478\n8\tGENEW\tHP:0000707\n8\tGENEW\tHP:0000152\n"
        "9\tGENEX\tHP:0000618\n9\tGENEX\tHP:0000252\n9\tGENEX\tHP:0002069\n"
        "10\tGENEY\tHP:0000505\n10\tGENEY\tHP:0001263\n10\tGENEY\tHP:0001250\n"
        "11\tGENEZ\tHP:0002069\n11\tGENEZ\tHP:0000478\n";
    static const char mim2gene[] = "#MIM number\tGeneID\ttype\tSource\tMedGenCUI\tComment\n"
                                   "40\t8\tphenotype\t-\tC1\t-\n41\t8\tphenotype\t-\tC1\t-\n"
                                   "42\t9\tphenotype\t-\tC1\t-\n43\t9\tphenotype\t-\tC1\t-\n"
                                   "44\t10\tphenotype\t-\tC1\t-\n45\t10\tphenotype\t-\tC1\t-\n"
                                   "46\t11\tphenotype\t-\tC1\t-\n";
    static const char *const want[][2] = {
        {"OMIM:40", "ORPHA:40"}, {"OMIM:41", NULL}, {"OMIM:42", NULL}, {"OMIM:43", NULL},
        {"OMIM:44", NULL},       {"OMIM:45", NULL}, {"OMIM:46", NULL}};
    struct hpo *h = toy_genes(genes, mim2gene, ann);
    for (int tw = 3; tw <= 4; tw++) {
        struct hpo_twins t;
        ASSERT_OK(hpo_twins_find(h, tw, &t));
        ASSERT_EQ_INT(t.n_pairs, tw == 4 ? 1 : 0);
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            uint32_t d = hpo_disease_index(h, want[i][0], strlen(want[i][0]));
            ASSERT_TRUE(d != HPO_NONE);
            if (want[i][1] && tw == 4) {
                ASSERT_TRUE(t.twin[d] != HPO_NONE);
                ASSERT_EQ_STR(hpo_str(h, h->dis_id[t.twin[d]]), want[i][1]);
                ASSERT_EQ_INT(t.twin[t.twin[d]], d);
                ASSERT_EQ_INT(t.pair_pass[0], 4);
            } else {
                ASSERT_EQ_INT(t.twin[d], HPO_NONE);
            }
        }
        hpo_twins_free(&t);
    }
    {
        struct hpo_rank_params p;
        hpo_rank_params_default(&p);
        ASSERT_TRUE(p.twins == 4); /* the default */
    }
    hpo_free(h);
}

static void test_onset_bands(void)
{
    struct hpo *h = toy(NULL);
    struct gn_err err = GN_ERR_INIT;
    enum hpo_onset_band b;
    static const char *const bad[] = {"6M", "P", "PM", "P1M1Y", "P1234567Y", "P1Y1Y", "P-1D"};
    static const enum hpo_onset_band named[] = {HPO_ONSET_CONGENITAL, HPO_ONSET_INFANTILE,
                                                HPO_ONSET_LATE}; /* in the toy ontology */
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)  /* band → term → band */
        ASSERT_EQ_INT(hpo_onset_bands(h, term(h, hpo_onset_band_term(named[i]))), 1u << named[i]);
    ASSERT_EQ_INT(hpo_onset_band_term(HPO_ONSET_ANTENATAL), 30674);
    ASSERT_EQ_INT(hpo_onset_band_term(HPO_ONSET_N), 0);
    static const struct {
        const char *iso;
        enum hpo_onset_band band;
    } ages[] = {{"P0D", HPO_ONSET_CONGENITAL},  {"P2W", HPO_ONSET_NEONATAL},
                {"P28D", HPO_ONSET_NEONATAL},   {"P6M", HPO_ONSET_INFANTILE},
                {"P1Y", HPO_ONSET_CHILDHOOD},   {"P4Y11M3W6DT12H", HPO_ONSET_CHILDHOOD},
                {"P15Y", HPO_ONSET_JUVENILE},   {"P16Y", HPO_ONSET_YOUNG_ADULT},
                {"P45Y", HPO_ONSET_MIDDLE_AGE}, {"P70Y", HPO_ONSET_LATE}};
    ASSERT_EQ_INT(h->dis_onset[hpo_disease_index(h, "OMIM:1", 6)], 1u << HPO_ONSET_INFANTILE);
    ASSERT_EQ_INT(h->dis_onset[hpo_disease_index(h, "OMIM:3", 6)], 1u << HPO_ONSET_CONGENITAL);
    ASSERT_EQ_INT(h->dis_onset[hpo_disease_index(h, "OMIM:2", 6)], 0);
    /* a term's own bands, narrowed by its most specific band-defining ancestors */
    ASSERT_EQ_INT(hpo_onset_bands(h, term(h, 3584)), 1u << HPO_ONSET_LATE);
    ASSERT_EQ_INT(hpo_onset_bands(h, term(h, 3581)), (1u << HPO_ONSET_YOUNG_ADULT) |
                                                         (1u << HPO_ONSET_MIDDLE_AGE) |
                                                         (1u << HPO_ONSET_LATE));
    ASSERT_EQ_INT(hpo_onset_bands(h, term(h, 410280)), (1u << HPO_ONSET_INFANTILE) |
                                                           (1u << HPO_ONSET_CHILDHOOD) |
                                                           (1u << HPO_ONSET_JUVENILE));
    ASSERT_EQ_INT(hpo_onset_bands(h, term(h, 3593)), 1u << HPO_ONSET_INFANTILE);
    ASSERT_EQ_INT(hpo_onset_bands(h, term(h, 3674)), 0); /* Onset itself: no band */
    ASSERT_EQ_INT(hpo_onset_bands(h, term(h, 1250)), 0);
    ASSERT_EQ_INT(hpo_onset_bands(h, HPO_NONE), 0);
    /* ages: the limits of the bands (a time part is ignored) */
    for (size_t i = 0; i < sizeof ages / sizeof *ages; i++) {
        ASSERT_OK(hpo_onset_age(ages[i].iso, strlen(ages[i].iso), &b, &err));
        ASSERT_EQ_INT(b, ages[i].band);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ASSERT_EQ_INT(hpo_onset_age(bad[i], strlen(bad[i]), &b, &err), GN_EPARSE);
        ASSERT_TRUE(strstr(err.msg, "ISO 8601") != NULL);
    }
    ASSERT_EQ_STR(hpo_onset_band_name(HPO_ONSET_YOUNG_ADULT), "young_adult");
    hpo_free(h);
}

static void test_rank_onset(void)
{
    struct hpo *h = toy(NULL);
    struct hpo_ranker *r = NULL;
    struct hpo_rank_params p;
    struct gn_err err = GN_ERR_INIT;
    struct hpo_score s0[4], s1[4], s2[4];
    uint32_t o1[1] = {term(h, 1263)}; /* OMIM:1 and OMIM:3 both have it */
    uint32_t d1 = hpo_disease_index(h, "OMIM:1", 6), d3 = hpo_disease_index(h, "OMIM:3", 6);
    uint16_t inf = 1u << HPO_ONSET_INFANTILE, upto_child = (1u << (HPO_ONSET_CHILDHOOD + 1)) - 1;
    struct hpo_query q0 = {o1, 1, NULL, 0, NULL, 0, 0}, q1 = q0, q2 = q0;
    double e, n = HPO_ONSET_N, p1, p3, bg;
    q1.onset = inf;
    q2.onset = upto_child;
    hpo_rank_params_default(&p);
    e = p.onset_eps;
    ASSERT_TRUE(p.w_onset > 0);
    ASSERT_OK(hpo_ranker_new(h, &p, &r, &err));
    ASSERT_OK(hpo_rank_score(r, &q0, s0, &err));
    ASSERT_OK(hpo_rank_score(r, &q1, s1, &err));
    ASSERT_OK(hpo_rank_score(r, &q2, s2, &err));
    /* P(infantile | OMIM:1) = 1 - eps + eps/9, P(infantile | OMIM:3) = eps/9; the background
     * is their mean (the two diseases with onset bands) */
    p1 = 1 - e + e / n;
    p3 = e / n;
    bg = (p1 + p3) / 2;
    ASSERT_TRUE(fabs(s1[d1].onset - p.w_onset * log10(p1 / bg)) < 1e-9);
    ASSERT_TRUE(fabs(s1[d3].onset - p.w_onset * log10(p3 / bg)) < 1e-9);
    for (uint32_t d = 0; d < h->n_dis; d++) {
        ASSERT_TRUE(s0[d].onset == 0);
        if (d != d1 && d != d3) ASSERT_TRUE(s1[d].onset == 0); /* no onset bands: neutral */
        ASSERT_TRUE(fabs(s1[d].s[HPO_RANK_LR] - s0[d].s[HPO_RANK_LR] - s1[d].onset) < 1e-9);
        ASSERT_TRUE(fabs(s1[d].s[HPO_RANK_COMBINED] - s0[d].s[HPO_RANK_COMBINED] - s1[d].onset) <
                    1e-9);
        for (int m = 0; m < HPO_RANK_N; m++)
            if (m != HPO_RANK_LR && m != HPO_RANK_COMBINED) ASSERT_TRUE(s1[d].s[m] == s0[d].s[m]);
    }
    ASSERT_TRUE(s1[d1].s[HPO_RANK_COMBINED] > s1[d3].s[HPO_RANK_COMBINED]);
    /* "onset no later than childhood" allows both diseases' bands equally */
    ASSERT_TRUE(fabs(s2[d1].onset - s2[d3].onset) < 1e-12);
    hpo_ranker_free(r);
    p.w_onset = 0; /* off */
    ASSERT_OK(hpo_ranker_new(h, &p, &r, &err));
    ASSERT_OK(hpo_rank_score(r, &q1, s2, &err));
    for (uint32_t d = 0; d < h->n_dis; d++)
        ASSERT_TRUE(s2[d].s[HPO_RANK_COMBINED] == s0[d].s[HPO_RANK_COMBINED]);
    hpo_ranker_free(r);
    hpo_free(h);
}

/* Rewrites the header of an index image after its payload changed: version, length, CRC. */
static void reseal(struct gn_buf *b, uint32_t version)
{
    gn_le_put_u32(b->data + 8, version);
    gn_le_put_u64(b->data + 16, b->len - 24);
    gn_le_put_u32(b->data + 12, (uint32_t)crc32(0L, b->data + 24, (uInt)(b->len - 24)));
}

static void test_index_roundtrip(void)
{
    struct hpo *h = toy(NULL), *h2 = NULL;
    struct gn_err err = GN_ERR_INIT;
    struct gn_buf b;
    gn_buf_init(&b, 1u << 24);
    ASSERT_OK(hpo_encode(h, &b, &err));
    ASSERT_OK(hpo_decode(b.data, b.len, &h2, &err));
    ASSERT_EQ_INT(h2->n_terms, h->n_terms);
    ASSERT_EQ_INT(h2->n_dis, h->n_dis);
    ASSERT_EQ_INT(h2->anc_off[h2->n_terms], h->anc_off[h->n_terms]);
    ASSERT_EQ_STR(hpo_str(h2, h2->version), "2099-01-01");
    ASSERT_TRUE(h2->ic[3] == h->ic[3]);
    ASSERT_TRUE(!memcmp(h2->dis_onset, h->dis_onset, h->n_dis * sizeof *h->dis_onset));
    hpo_free(h2);
    { /* disease counts per term (the ranker sizes its postings by them): one above the
       * diseases, or all of them at the most but together beyond what the annotations'
       * ancestors hold, is refused before anything is allocated by them */
        uint32_t nt = h->n_terms, slen = gn_le_u32(b.data + 24);
        uint8_t *ndis = b.data + 24 + 4 + slen + 12 + 4u * nt * 3 + nt; /* term_ndis[0] */
        uint8_t keep[4 * 64];
        ASSERT_TRUE(nt <= 64 && gn_le_u32(ndis) == h->term_ndis[0]);
        memcpy(keep, ndis, 4u * nt);
        gn_le_put_u32(ndis, h->n_dis + 1);
        reseal(&b, 2);
        ASSERT_EQ_INT(hpo_decode(b.data, b.len, &h2, &err), GN_ECORRUPT);
        for (uint32_t t = 0; t < nt; t++)
            gn_le_put_u32(ndis + 4u * t, h->n_dis);
        reseal(&b, 2);
        ASSERT_EQ_INT(hpo_decode(b.data, b.len, &h2, &err), GN_ECORRUPT);
        memcpy(ndis, keep, 4u * nt);
        reseal(&b, 2);
        ASSERT_OK(hpo_decode(b.data, b.len, &h2, &err));
        hpo_free(h2);
    }
    /* format 1 (no onset bands) still loads, every disease's onset unknown */
    b.len -= 2u * h->n_dis;
    reseal(&b, 1);
    ASSERT_OK(hpo_decode(b.data, b.len, &h2, &err));
    for (uint32_t d = 0; d < h2->n_dis; d++)
        ASSERT_EQ_INT(h2->dis_onset[d], 0);
    hpo_free(h2);
    reseal(&b, 3); /* a later format */
    ASSERT_EQ_INT(hpo_decode(b.data, b.len, &h2, &err), GN_EFORMAT);
    b.len += 2u * h->n_dis; /* format 2 with a band beyond the last */
    b.data[b.len - 1] = 0x80;
    reseal(&b, 2);
    ASSERT_EQ_INT(hpo_decode(b.data, b.len, &h2, &err), GN_ECORRUPT);
    b.data[b.len - 1] = 0;
    reseal(&b, 2);
    ASSERT_OK(hpo_decode(b.data, b.len, &h2, &err));
    hpo_free(h2);
    b.data[b.len - 3] ^= 1; /* any flipped bit: checksum */
    ASSERT_EQ_INT(hpo_decode(b.data, b.len, &h2, &err), GN_ECORRUPT);
    ASSERT_EQ_INT(hpo_decode(b.data, b.len - 1, &h2, &err), GN_ECORRUPT);
    b.data[0] = 'X';
    ASSERT_EQ_INT(hpo_decode(b.data, b.len, &h2, &err), GN_EFORMAT);
    ASSERT_TRUE(h2 == NULL);
    gn_buf_free(&b);
    hpo_free(h);
}

static void test_bad_input(void)
{
    struct hpo_src *s = NULL;
    struct hpo *h = NULL;
    struct gn_err err = GN_ERR_INIT;
    static const char cyc[] = "HP:0000002\tHP:0000003\nHP:0000003\tHP:0000002\n";
    static const char trm[] = "HP:0000001\tAll\t0\t\nHP:0000002\ta\t0\t\nHP:0000003\tb\t0\t\n";
    static const char badfreq[] = "OMIM:1\tX\t\tHP:0000001\tPMID:1\tPCS\t\t7/3\t\t\tP\tx\n";
    static const char badid[] = "HP:0000001\tAll\t0\t\nHPO:12\tb\t0\t\n";
    /* ids kept as C strings: a NUL or a space inside would make different ids equal */
    static const char nuldis[] = "OMIM:1\tA\t\tHP:0000001\tPMID:1\tPCS\t\t\t\t\tP\tx\n"
                                 "OM\0IM:1\tA\t\tHP:0000001\tPMID:1\tPCS\t\t\t\t\tP\tx\n";
    static const char spgene[] = "10\tGENE A\tHP:0000001\tAll\t-\tOMIM:1\n";
    static const char ctldis[] = "10\tGENEA\tHP:0000001\tAll\t-\tOMIM:\0011\n";
    ASSERT_OK(hpo_src_new(&s, &err));
    ASSERT_OK(hpo_src_add(s, HPO_SRC_TERMS_TSV, trm, strlen(trm), "t", &err));
    ASSERT_OK(hpo_src_add(s, HPO_SRC_IS_A_TSV, cyc, strlen(cyc), "c", &err));
    ASSERT_EQ_INT(hpo_src_build(s, &h, NULL, &err), GN_EPARSE);
    ASSERT_TRUE(strstr(err.msg, "cycle") != NULL);
    ASSERT_EQ_INT(hpo_src_add(s, HPO_SRC_HPOA, badfreq, strlen(badfreq), "p.hpoa", &err),
                  GN_EPARSE);
    ASSERT_TRUE(strstr(err.msg, "p.hpoa:1:") != NULL);
    ASSERT_EQ_INT(hpo_src_add(s, HPO_SRC_TERMS_TSV, badid, strlen(badid), "t2", &err), GN_EPARSE);
    ASSERT_TRUE(strstr(err.msg, "t2:2") != NULL);
    ASSERT_EQ_INT(hpo_src_add(s, HPO_SRC_HPOA, nuldis, sizeof nuldis - 1, "n.hpoa", &err),
                  GN_EPARSE);
    ASSERT_TRUE(strstr(err.msg, "n.hpoa:2: disease id") != NULL);
    ASSERT_EQ_INT(hpo_src_add(s, HPO_SRC_GENE_TSV, spgene, strlen(spgene), "g.txt", &err),
                  GN_EPARSE);
    ASSERT_TRUE(strstr(err.msg, "g.txt:1: bad gene symbol") != NULL);
    ASSERT_EQ_INT(hpo_src_add(s, HPO_SRC_GENE_TSV, ctldis, sizeof ctldis - 1, "g2.txt", &err),
                  GN_EPARSE);
    ASSERT_TRUE(strstr(err.msg, "g2.txt:1: disease id") != NULL);
    hpo_src_free(s);
    ASSERT_OK(hpo_src_new(&s, &err)); /* no ontology at all */
    ASSERT_EQ_INT(hpo_src_build(s, &h, NULL, &err), GN_EPARSE);
    hpo_src_free(s);
}

static void test_fixtures(void)
{
    struct hpo_src *s = NULL;
    struct hpo *h = NULL;
    struct gn_err err = GN_ERR_INIT;
    enum hpo_resolved how;
    struct hpo_src_stats st;
    ASSERT_OK(hpo_src_new(&s, &err));
    ASSERT_OK(hpo_src_add_file(s, HPO_SRC_OBO, "testdata/hpo/hpo-crate_small.obo", &err));
    ASSERT_OK(hpo_src_add_file(s, HPO_SRC_HPOA, "testdata/hpo/exomiser_phenotype_test.hpoa", &err));
    if (hpo_src_build(s, &h, &st, &err) < 0) TEST_FAIL_("%s", err.msg);
    ASSERT_EQ_STR(hpo_str(h, h->version), "2022-10-05");
    ASSERT_EQ_INT(hpo_resolve(h, "HP:0002709", 10, &how, &err), (int)term(h, 217));
    ASSERT_EQ_INT(how, HPO_RESOLVED_ALT);
    ASSERT_TRUE(hpo_is_ancestor(h, term(h, 217), term(h, 219)));
    ASSERT_TRUE(strstr(hpo_str(h, h->source), "annotations 2023-07-21") != NULL);
    ASSERT_EQ_INT(st.not_annotations + st.ann_unknown_term > 0, 1);
    hpo_free(h);
    hpo_src_free(s);
    ASSERT_OK(hpo_src_new(&s, &err));
    ASSERT_OK(hpo_src_add_file(s, HPO_SRC_JSON, "testdata/hpo/hp_small.json", &err));
    ASSERT_OK(hpo_src_build(s, &h, NULL, &err));
    ASSERT_EQ_STR(hpo_str(h, h->version), "2024-04-26");
    ASSERT_EQ_INT(hpo_resolve(h, "HP:0000057", 10, &how, &err), (int)term(h, 8665));
    ASSERT_EQ_INT(how, HPO_RESOLVED_REPLACED);
    ASSERT_TRUE(hpo_is_ancestor(h, term(h, 118), term(h, 1250)));
    ASSERT_TRUE(h->term_flags[term(h, 1250)] & HPO_TERM_PHENO);
    ASSERT_TRUE(!(h->term_flags[term(h, 6)] & HPO_TERM_PHENO));
    hpo_free(h);
    hpo_src_free(s);
}

/* Gene-region BED of `rank --sample`: contigs normalised to the build, header lines skipped,
 * every malformed line an error naming file and line. */
static void test_gene_regions(void)
{
    static const char good[] = "# comment\ntrack name=x\nbrowser position chr20\n\n"
                               "chr20\t100\t200\tPANK2\textra\r\n20 5 6 KCNQ2\nMT\t0\t10\tMT-ND1";
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"20\t1\t2\tG\n20\t1\t2\n", "g.bed:2: expected chrom, start, end and gene symbol"},
        {"#\n20\tx\t2\tG\n", "g.bed:2: bad start"},
        {"20\t-1\t2\tG\n", "g.bed:1: bad start"},
        {"20\t1\t2x\tG\n", "g.bed:1: bad end"},
        {"20\t5\t5\tG\n", "g.bed:1: end 5 is not after start 5"},
        {"20\t1\t2\tA,B\n", "g.bed:1: bad gene symbol"},
        {"20\t1\t2\tAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
         "g.bed:1: gene symbol"},
        {"20\t1\t99999999999999999999\tG\n", "g.bed:1: bad end"},
        {"# only a comment\n", "g.bed: no region"},
    };
    struct gn_err err = GN_ERR_INIT;
    struct generegion_set *s = NULL;
    ASSERT_OK(generegion_parse(good, strlen(good), "g.bed", CONTIG_BUILD_GRCH38, &s, &err));
    ASSERT_EQ_INT(s->n, 3);
    ASSERT_EQ_STR(s->r[0].chrom, "chr20");
    ASSERT_EQ_INT(s->r[0].start, 100);
    ASSERT_EQ_INT(s->r[0].end, 200);
    ASSERT_EQ_STR(s->r[0].gene, "PANK2");
    ASSERT_EQ_INT(s->r[0].line, 5);
    ASSERT_EQ_STR(s->r[1].chrom, "chr20");
    ASSERT_EQ_STR(s->r[1].gene, "KCNQ2");
    ASSERT_EQ_STR(s->r[2].chrom, "chrM");
    ASSERT_EQ_STR(s->r[2].gene, "MT-ND1");
    generegion_free(s);
    ASSERT_OK(generegion_parse(good, strlen(good), "g.bed", CONTIG_BUILD_GRCH37, &s, &err));
    ASSERT_EQ_STR(s->r[0].chrom, "20");
    generegion_free(s);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gn_err e = GN_ERR_INIT;
        s = NULL;
        int rc = generegion_parse(bad[i].text, strlen(bad[i].text), "g.bed", CONTIG_BUILD_GRCH37,
                                  &s, &e);
        if (rc != GN_EPARSE || s || !strstr(e.msg, bad[i].msg))
            TEST_FAIL_("case %zu: rc %d, \"%s\" lacks \"%s\"", i, rc, e.msg, bad[i].msg);
    }
}

/* The prepared similarity (hpo_sim_query + hpo_sim_cand, used by Matchmaker Exchange) gives
 * exactly hpo_rank_similarity's value on real term sets: the annotation sets of the fixture
 * diseases against each other, plus sets with repeats and a non-phenotype term. */
static void sim_prepared_check(const struct hpo *h, const uint32_t *a, uint32_t na,
                               struct hpo_sim_query *q, const uint32_t *b, uint32_t nb,
                               int *nontrivial)
{
    struct gn_err err = GN_ERR_INIT;
    struct hpo_sim_cand c = {b, nb, NULL, 0, 0, 0};
    uint32_t *cl = NULL;
    double want = -1, got;
    ASSERT_OK(hpo_rank_similarity(h, a, na, b, nb, &want, &err));
    ASSERT_OK(hpo_sim_closure(h, b, nb, &cl, &c.n_closure, &err));
    c.closure = cl;
    hpo_sim_self(h, b, nb, &c.self, &c.n_used);
    got = hpo_sim_score(q, &c);
    if (memcmp(&want, &got, sizeof want))
        TEST_FAIL_("prepared similarity %.17g, hpo_rank_similarity %.17g", got, want);
    if (want > 0.01 && want < 0.99) (*nontrivial)++;
    gn_free(cl);
}

/* Every pair among the first max_dis diseases' annotation sets (whole and halved) and a
 * mixed set; returns the number of pairs scoring strictly between 0 and 1. */
static int sim_sets_check(const struct hpo *h, uint32_t max_dis)
{
    struct gn_err err = GN_ERR_INIT;
    uint32_t mixed[40], n_mixed = 0;
    int nontrivial = 0;
    ASSERT_TRUE(h->n_dis >= 2);
    /* a set with repeats, an unknown index and a term outside the phenotype subtree */
    for (uint32_t k = h->dt_off[0]; k < h->dt_off[1] && n_mixed < 30; k++)
        mixed[n_mixed++] = h->dt_term[k];
    mixed[n_mixed++] = h->dt_term[h->dt_off[1]];
    mixed[n_mixed++] = mixed[0];
    mixed[n_mixed++] = HPO_NONE;
    mixed[n_mixed++] = 0; /* the first term (All: not a phenotypic abnormality) */
    for (uint32_t da = 0; da <= h->n_dis && da < max_dis; da++) {
        const uint32_t *a = da < h->n_dis ? &h->dt_term[h->dt_off[da]] : mixed;
        uint32_t na = da < h->n_dis ? h->dt_off[da + 1] - h->dt_off[da] : n_mixed;
        struct hpo_sim_query *q = NULL;
        ASSERT_OK(hpo_sim_query_new(h, a, na, &q, &err));
        for (uint32_t db = 0; db <= h->n_dis && db < max_dis; db++) {
            const uint32_t *b = db < h->n_dis ? &h->dt_term[h->dt_off[db]] : mixed;
            uint32_t nb = db < h->n_dis ? h->dt_off[db + 1] - h->dt_off[db] : n_mixed;
            sim_prepared_check(h, a, na, q, b, nb, &nontrivial);
            sim_prepared_check(h, a, na, q, b + nb / 2, nb - nb / 2, &nontrivial);
        }
        sim_prepared_check(h, a, na, q, mixed, n_mixed, &nontrivial);
        sim_prepared_check(h, a, na, q, mixed, 0, &nontrivial); /* an empty candidate */
        hpo_sim_query_free(q);
    }
    return nontrivial;
}

static void test_sim_prepared(void)
{
    struct hpo *h = toy(NULL);
    struct gn_err err = GN_ERR_INIT;
    const char *real = getenv("GENOMENODE_HPO_INDEX");
    int nontrivial = sim_sets_check(h, 100);
    hpo_free(h);
    ASSERT_TRUE(nontrivial > 0);
    /* the whole HPO when an index is at hand (tests/extended builds one): real annotation
     * sets of 12,000 diseases, the first 300 pairwise */
    if (real && *real) {
        h = NULL;
        if (hpo_load(real, &h, &err) < 0) TEST_FAIL_("%s: %s", real, err.msg);
        ASSERT_TRUE(sim_sets_check(h, 300) > 1000);
        hpo_free(h);
    }
}

const struct test_case test_hpo_cases[] = {
    {"hpo_sim_prepared", test_sim_prepared},
    {"hpo_gene_regions", test_gene_regions},
    {"hpo_build", test_build},
    {"hpo_rank", test_rank},
    {"hpo_rank_exact", test_rank_exact},
    {"hpo_rank_twins", test_rank_twins},
    {"hpo_rank_profile_twins", test_rank_profile_twins},
    {"hpo_rank_gene_twins", test_rank_gene_twins},
    {"hpo_onset_bands", test_onset_bands},
    {"hpo_rank_onset", test_rank_onset},
    {"hpo_index_roundtrip", test_index_roundtrip},
    {"hpo_bad_input", test_bad_input},
    {"hpo_fixtures", test_fixtures},
    {NULL, NULL},
};
