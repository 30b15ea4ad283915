/**
 * The model registry contract (spec §11): registered models, their versions, tags and aliases,
 * independent of any database and of HTTP. Requests reaching it are already validated.
 */

import type { Page, Tag } from "./types.ts";

export type ModelStage = "None" | "Staging" | "Production" | "Archived";

export interface ModelVersion {
  name: string;
  version: number;
  creationTimestamp: number | null;
  lastUpdatedTimestamp: number | null;
  userId: string | null;
  currentStage: string;
  description: string | null;
  source: string | null;
  runId: string | null;
  status: string | null;
  statusMessage: string | null;
  runLink: string | null;
  storageLocation: string | null;
  tags: Tag[];
  /** Names of the aliases pointing at this version. */
  aliases: string[];
}

export interface RegisteredModelAlias {
  alias: string;
  version: number;
}

export interface RegisteredModel {
  name: string;
  creationTimestamp: number | null;
  lastUpdatedTimestamp: number | null;
  description: string | null;
  /** The newest non-deleted version in each stage. */
  latestVersions: ModelVersion[];
  tags: Tag[];
  aliases: RegisteredModelAlias[];
}

export interface CreateRegisteredModel {
  name: string;
  tags: Tag[];
  description?: string;
}

export interface CreateModelVersion {
  name: string;
  source: string;
  runId?: string;
  runLink?: string;
  description?: string;
  tags: Tag[];
  /** Where the files are when that is not `source` (a logged model's artifact location). */
  storageLocation?: string;
}

export interface RegistrySearch {
  filter?: string;
  orderBy: string[];
  maxResults: number;
  offset: number;
}

export interface RegistryStore {
  createRegisteredModel(input: CreateRegisteredModel): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;
  updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel>;
  deleteRegisteredModel(name: string): Promise<void>;
  searchRegisteredModels(query: RegistrySearch): Promise<Page<RegisteredModel>>;
  /** `stages` are canonical; empty means every stage. */
  getLatestVersions(name: string, stages: readonly ModelStage[]): Promise<ModelVersion[]>;
  setRegisteredModelTag(name: string, tag: Tag): Promise<void>;
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;

  createModelVersion(input: CreateModelVersion): Promise<ModelVersion>;
  getModelVersion(name: string, version: number): Promise<ModelVersion>;
  updateModelVersion(name: string, version: number, description: string | undefined): Promise<ModelVersion>;
  transitionModelVersionStage(
    name: string,
    version: number,
    stage: ModelStage,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion>;
  deleteModelVersion(name: string, version: number): Promise<void>;
  searchModelVersions(query: RegistrySearch): Promise<Page<ModelVersion>>;
  getModelVersionDownloadUri(name: string, version: number): Promise<string>;
  setModelVersionTag(name: string, version: number, tag: Tag): Promise<void>;
  deleteModelVersionTag(name: string, version: number, key: string): Promise<void>;

  setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void>;
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;
}
