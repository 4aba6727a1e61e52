/**
 * GitHub's limits on check-run writes (GitHub's OpenAPI spec, and the docs it
 * quotes). GitHub counts `summary` and `text` in UTF-8 bytes, although the
 * docs say characters: "summary exceeds a maximum bytesize of 65535"
 * (https://github.com/github/docs/issues/35252). "64 KB" is ambiguous
 * (64 000 or 65 536 bytes), so we stay under the smaller reading.
 */
export const CHECK_RUN_LIMITS = {
  /** `output.summary` and `output.text`, in UTF-8 bytes. */
  outputBytes: 65_535,
  /** Annotations per create/update request. */
  annotationsPerRequest: 50,
  /** Annotation `title`, in characters. */
  annotationTitleChars: 255,
  /** Annotation `message` and `raw_details`, in UTF-8 bytes. */
  annotationBytes: 64_000,
  /** Buttons per check run, and each button's field lengths in characters. */
  actions: 3,
  actionLabelChars: 20,
  actionDescriptionChars: 40,
  actionIdentifierChars: 20,
} as const;
