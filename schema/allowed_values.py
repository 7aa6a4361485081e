"""The allowed values of every coded column (its vocabulary), and plausible numeric ranges.

One tuple per vocabulary, shared by the models' CHECK constraints and the data files' validator
(ingest/records.py), so the database and the ingest can never disagree on what is allowed. The
tables of muscles and exercises themselves are models, in lexicon.py.
"""

#: What was measured. EMG amplitude is comparable across studies only when normalised to an MVC.
METRICS = (
    "emg_amplitude",  # EMG amplitude, normalised as normalisation_category says
    "emg_share_of_sum",  # one muscle's share (%) of the summed EMG of several muscles
    "relative_muscular_effort",  # net joint moment as % of a maximal moment
    "joint_moment",
    "joint_work",
    "emg_ratio",  # one EMG value over another (a GM/HS ratio, the gluteal-to-TFL index)
    "other",
)

#: Metrics that can never be negative.
NON_NEGATIVE_METRICS = ("emg_amplitude", "emg_share_of_sum", "relative_muscular_effort", "emg_ratio")

#: EMG normalisation after the CEDE project's normalisation matrix (Besomi et al.).
NORMALISATION_CATEGORIES = (
    "mvc_same_task",
    "mvc_standardised_isometric",
    "submaximal_reference",
    "task_peak_or_mean",
    "contralateral_limb",  # a share of the same muscle's value in the other (e.g. non-paretic) limb
    "not_normalised",
    "not_reported",  # EMG whose normalisation the readable source does not state
    "not_applicable",
)

#: How the signal was summarised within a repetition or trial (the amplitude statistic):
#: not_reported where the readable source does not say, other for a stated other one.
STATISTICS = ("mean", "rms", "peak", "median", "integrated", "other", "not_reported")

#: How the values were summarised across participants; NULL where the source does not say.
CENTRAL_TENDENCIES = ("mean", "median")

#: Who took part: a label that queries and pools filter by (the default rankings use the healthy
#: groups only). healthy_trained: resistance-trained; healthy_untrained: healthy and not described
#: as resistance-trained (physically active included); athletes: competitive athletes.
POPULATION_GROUPS = ("healthy_trained", "healthy_untrained", "athletes", "clinical", "not_reported")

#: The groups a default ranking or pool takes: healthy adults, trained or not, athletes included.
HEALTHY_GROUPS = ("healthy_trained", "healthy_untrained", "athletes")

#: Bibliographic fields of a study whose page of origin is recorded (study.read_on).
BIBLIOGRAPHIC_FIELDS = ("authors", "year", "title", "journal", "volume", "issue", "pages", "doi", "pmid")
#: Every study fact whose page is recorded in study_field_source: the bibliographic fields, the
#: participants' numbers (age, training experience) and the PEDro score.
STUDY_FIELDS = (*BIBLIOGRAPHIC_FIELDS, "participants", "pedro_score")

PHASES = (
    "whole",
    "concentric",
    "eccentric",
    "isometric",
    "upper_range",
    "lower_range",
    "not_reported",
)

#: unlabelled: a "±" or "(x)" printed without saying whether it is an SD or an SE; never read as
#: an SD by the build (an export may, when asked, and flags each row it does it for).
DISPERSION_TYPES = ("sd", "se", "iqr", "ci95", "range", "unlabelled")
#: Where a measurement's SD came from (analysis/dispersion.py); an export may add imputed ones.
SD_SOURCES = ("reported", "review", "from_se", "from_ci", "from_iqr:wan2014")
ELECTRODES = ("surface", "fine_wire", "not_reported")
PROVENANCES = ("primary", "review", "article")
IDENTIFICATIONS = ("verified", "probable", "unverified")
SEXES = ("female", "male", "mixed", "not_reported")
EXERCISE_PATTERNS = ("squat", "lunge", "hinge", "bridge", "isolation")
#: A muscle's group (vocab/muscles.yaml): what the group pages and queries gather.
MUSCLE_GROUPS = (
    "gluteals", "hamstrings", "adductors", "hip_abductors", "hip_flexors", "quadriceps", "calf", "trunk",
    "joint_level",
)  # fmt: skip
SYNONYM_KINDS = ("canonical", "abbreviation", "anatomical", "lay", "mistranslation")
#: a_greater/b_greater: A (condition a, muscle) vs B (condition b, or muscle_b within a);
#: different: a significant difference whose direction the readable source does not state.
DIRECTIONS = (
    "a_greater", "b_greater", "no_difference", "different", "increases", "decreases", "mixed",
)  # fmt: skip
SIZE_TYPES = ("percent_difference", "mean_difference", "effect_size_d", "ratio", "other")
P_RELATIONS = ("=", "<", ">")
#: Which limb a value is for, where a study reports the sides apart (NULL: both or not said).
SIDES = ("left", "right", "dominant", "non_dominant")
#: A within-study difference as printed (the contrast table): estimate = a - b, or a / b.
ESTIMATE_TYPES = (
    "mean_difference", "percent_difference", "effect_size_d", "effect_size_g", "ratio", "other",
)  # fmt: skip
#: What a copy of a paper showed when it was read (the reading_log table).
COPY_SHOWED = (
    "abstract", "full_text", "full_text_cut", "table", "poster", "record_only", "not_found",
    "unrelated", "other",
)  # fmt: skip


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that ``column`` holds one of ``values`` (NULL passes, as in SQL)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


#: Plausible bounds of a value for its metric; a value outside is almost surely a typo or a
#: unit slip. EMG above 500 %MVC is not plausible for these tasks; moments are in N·m or N·m/kg.
PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    "emg_amplitude": (0.0, 500.0),
    "emg_share_of_sum": (0.0, 100.0),
    "relative_muscular_effort": (0.0, 500.0),
    "joint_moment": (-1000.0, 1000.0),
    "joint_work": (-10000.0, 10000.0),
    "emg_ratio": (0.0, 1000.0),
    "other": (-1e6, 1e6),
}


#: What the evidence says of one of the article's claims. Computed by the build where the data
#: allows (numbers, metrics, reported findings), else curated with a reason.
VERDICTS = (
    "supported",  # the linked findings agree with what the claim asserts
    "partly_supported",  # some parts agree, others are not covered or not checkable
    "numbers_match",  # every number the claim quotes equals the primary value
    "numbers_differ",  # at least one quoted number differs from the primary value
    "metric_not_mvc",  # the claim reads the numbers as %MVC activation, the paper measured otherwise
    "no_difference_reported",  # the claim asserts a difference where the source reports none
    "contradicted",  # the source reports the opposite direction
    "different_muscle_or_task",  # the source measured another muscle, task or study than claimed
    "not_verifiable",  # the readable source neither confirms nor refutes it
    "study_unidentified",  # the cited study could not be identified
)
VERDICT_BASES = ("computed", "curated")
#: How one piece of evidence bears on a claim.
AGREEMENTS = ("match", "differs", "unchecked", "agrees", "no_difference", "disagrees", "unclear")
