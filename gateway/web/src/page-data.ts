// What the gateway put into the page it rendered: a JSON element the CSP lets through, since it
// is data, not script.
export function pageData<T>(id: string): T {
  const element = document.getElementById(id);
  if (element === null || element.textContent === null) {
    throw new Error(`the page has no #${id} data`);
  }
  return JSON.parse(element.textContent) as T;
}
