import type { ProbotOctokit } from "probot";

/** An Octokit authenticated as one installation (Probot's `app.auth(id)`; tokens cached by Probot). */
export type InstallationOctokit = InstanceType<typeof ProbotOctokit>;
export type OctokitFor = (installationId: number) => Promise<InstallationOctokit>;
