/** A setting is missing or malformed. The message names the variable and says how to fix it. */
export class SettingsError extends Error {
  constructor(
    message: string,
    readonly variable: string,
  ) {
    super(message);
    this.name = "SettingsError";
  }
}
