/** Labels on environment build containers (besides org.ponyci.managed and org.ponyci.env-key). */
export const LABEL_ENV_PYTHON = "org.ponyci.python";
export const LABEL_ENV_DJANGO = "org.ponyci.django";
