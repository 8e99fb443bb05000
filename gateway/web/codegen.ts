import type { CodegenConfig } from "@graphql-codegen/cli";

// Types and documents come from the committed contract: the SDL and the shipped operations.
const config: CodegenConfig = {
  schema: "../../schema/schema.graphql",
  documents: ["../../schema/operations/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      config: {
        documentMode: "string",
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: "string", TimeZone: "string" },
      },
      presetConfig: {
        fragmentMasking: false,
        // {hash: document}, the manifest GATEWAY_PERSISTED_MANIFEST loads.
        persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
      },
    },
  },
};

export default config;
