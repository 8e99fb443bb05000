import type { TypedDocumentString } from "../gql/graphql";

// One POST per operation, the shipped document as codegen printed it; anything but data is
// an error the page shows as "try again", never a crash.
export class RequestFailed extends Error {}

interface Answer<T> {
  data?: T | null;
  errors?: { message: string }[];
}

export async function execute<TResult, TVariables>(
  endpoint: string,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
  } catch {
    throw new RequestFailed("The booking service could not be reached.");
  }
  const answer = (await response.json().catch(() => ({}))) as Answer<TResult>;
  if (answer.errors?.length || answer.data == null) {
    throw new RequestFailed(answer.errors?.[0]?.message ?? `The booking service answered ${response.status}.`);
  }
  return answer.data;
}
