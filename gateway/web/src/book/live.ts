import { createClient, type Client } from "graphql-sse";
import { AvailabilityChangedDocument, type AvailabilityChangedSubscription } from "../gql/graphql";

export type Change = AvailabilityChangedSubscription["availabilityChanged"];

interface Watch {
  slug: string;
  timeZone: string;
  from: string;
  to: string;
}

let client: Client | null = null;

// GraphQL over SSE, distinct connections mode: one plain EventSource-like stream per watch.
export function watch(endpoint: string, range: Watch, onChange: (change: Change) => void): () => void {
  client ??= createClient({ url: endpoint, singleConnection: false, retryAttempts: 5 });
  return client.subscribe<AvailabilityChangedSubscription>(
    { query: AvailabilityChangedDocument.toString(), variables: { ...range } },
    {
      next: (result) => {
        if (result.data) onChange(result.data.availabilityChanged);
      },
      // A stream that cannot be kept is not worth a broken page: the next read shows the truth.
      error: () => undefined,
      complete: () => undefined,
    },
  );
}
