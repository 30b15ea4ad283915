/**
 * MLflow's validation rules for the model registry (spec §11): stage names, alias names and tag
 * sizes, with MLflow's messages, checked before a request reaches the store.
 */

import { invalidParameter } from "../errors.ts";
import type { ModelStage } from "../store/registry-types.ts";
import type { Tag } from "../store/types.ts";
import { exceedsMaximumLength, longerThan, validateName } from "./names.ts";

const STAGES: readonly ModelStage[] = ["None", "Staging", "Production", "Archived"];
/** Stages whose current holders `archive_existing_versions` may move to Archived. */
export const ACTIVE_STAGES: readonly ModelStage[] = ["Staging", "Production"];

export const registryLimits = {
  registeredModelTagValue: 5000,
  modelVersionTagValue: 100000,
  aliasName: 255,
  tagKey: 250,
  searchRegisteredModelsDefault: 100,
  searchRegisteredModelsMax: 1000,
  searchModelVersionsDefault: 10000,
  searchModelVersionsMax: 200000,
} as const;

/** The stage as MLflow spells it, whatever the request's case. */
export function canonicalStage(stage: string): ModelStage {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) {
    throw invalidParameter(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(", ")}.`);
  }
  return found;
}

/** `_validate_registered_model_tag` and `_validate_model_version_tag`. */
function validateTag(tag: Tag, valueLimit: number): void {
  validateName(tag.key, "key");
  if (longerThan(tag.key, registryLimits.tagKey)) throw exceedsMaximumLength("key", registryLimits.tagKey);
  if (longerThan(tag.value, valueLimit)) throw exceedsMaximumLength("value", valueLimit);
}

/** Registered model tags stop at the column's 5,000 characters, where MLflow's check allows 100,000 (see README). */
export const validateModelTag = (tag: Tag): void => validateTag(tag, registryLimits.registeredModelTagValue);
export const validateVersionTag = (tag: Tag): void => validateTag(tag, registryLimits.modelVersionTagValue);

/** MLflow's alias rules: `latest` and `v<digits>` are reserved for version references. */
export function validateAlias(alias: string): void {
  if (!/^[\p{L}\p{N}\p{M}_-]*$/u.test(alias)) {
    throw invalidParameter(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  if (longerThan(alias, registryLimits.aliasName)) {
    throw exceedsMaximumLength("Registered model alias name", registryLimits.aliasName);
  }
  if (alias.toLowerCase() === "latest") {
    throw invalidParameter("'latest' alias name (case insensitive) is reserved.");
  }
  if (/^[vV]\d+$/.test(alias)) {
    throw invalidParameter(`Version alias name '${alias}' is reserved.`);
  }
}
