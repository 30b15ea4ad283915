/**
 * The model registry store: MLflow's registry on MLflow's own schema, written once for every SQL
 * database. This class binds the registry contract (registry-types.ts) to one `Database`; the
 * operations live in registered-models.ts and model-versions.ts (versions, their tags, aliases).
 * Nothing here knows about HTTP; requests arrive validated.
 */

import type { Database } from "./db/database.ts";
import {
  createModelVersion,
  deleteModelVersion,
  deleteModelVersionTag,
  deleteRegisteredModelAlias,
  getModelVersionByAlias,
  getModelVersionDownloadUri,
  searchModelVersions,
  setModelVersionTag,
  setRegisteredModelAlias,
  transitionModelVersionStage,
  updateModelVersion,
} from "./model-versions.ts";
import {
  createRegisteredModel,
  deleteRegisteredModel,
  deleteRegisteredModelTag,
  getLatestVersions,
  renameRegisteredModel,
  searchRegisteredModels,
  setRegisteredModelTag,
  updateRegisteredModel,
} from "./registered-models.ts";
import { loadModel, loadVersion } from "./registry-load.ts";
import type {
  CreateModelVersion,
  CreateRegisteredModel,
  ModelStage,
  ModelVersion,
  RegisteredModel,
  RegistrySearch,
  RegistryStore,
} from "./registry-types.ts";
import type { Page, Tag } from "./types.ts";

export type { RegistryStore } from "./registry-types.ts";

export class SqlRegistryStore implements RegistryStore {
  constructor(private readonly db: Database) {}

  // Registered models

  createRegisteredModel(input: CreateRegisteredModel): Promise<RegisteredModel> {
    return createRegisteredModel(this.db, input);
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return loadModel(this.db, name);
  }

  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return renameRegisteredModel(this.db, name, newName);
  }

  updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    return updateRegisteredModel(this.db, name, description);
  }

  deleteRegisteredModel(name: string): Promise<void> {
    return deleteRegisteredModel(this.db, name);
  }

  searchRegisteredModels(query: RegistrySearch): Promise<Page<RegisteredModel>> {
    return searchRegisteredModels(this.db, query);
  }

  getLatestVersions(name: string, stages: readonly ModelStage[]): Promise<ModelVersion[]> {
    return getLatestVersions(this.db, name, stages);
  }

  setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    return setRegisteredModelTag(this.db, name, tag);
  }

  deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    return deleteRegisteredModelTag(this.db, name, key);
  }

  // Model versions

  createModelVersion(input: CreateModelVersion): Promise<ModelVersion> {
    return createModelVersion(this.db, input);
  }

  getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return loadVersion(this.db, name, version);
  }

  updateModelVersion(name: string, version: number, description: string | undefined): Promise<ModelVersion> {
    return updateModelVersion(this.db, name, version, description);
  }

  transitionModelVersionStage(
    name: string,
    version: number,
    stage: ModelStage,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion> {
    return transitionModelVersionStage(this.db, name, version, stage, archiveExistingVersions);
  }

  deleteModelVersion(name: string, version: number): Promise<void> {
    return deleteModelVersion(this.db, name, version);
  }

  searchModelVersions(query: RegistrySearch): Promise<Page<ModelVersion>> {
    return searchModelVersions(this.db, query);
  }

  getModelVersionDownloadUri(name: string, version: number): Promise<string> {
    return getModelVersionDownloadUri(this.db, name, version);
  }

  setModelVersionTag(name: string, version: number, tag: Tag): Promise<void> {
    return setModelVersionTag(this.db, name, version, tag);
  }

  deleteModelVersionTag(name: string, version: number, key: string): Promise<void> {
    return deleteModelVersionTag(this.db, name, version, key);
  }

  // Aliases

  setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void> {
    return setRegisteredModelAlias(this.db, name, alias, version);
  }

  deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    return deleteRegisteredModelAlias(this.db, name, alias);
  }

  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return getModelVersionByAlias(this.db, name, alias);
  }
}
