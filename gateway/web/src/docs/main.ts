import SwaggerUI from "swagger-ui-dist/swagger-ui-es-bundle.js";
import "swagger-ui-dist/swagger-ui.css";
import { pageData } from "../page-data";

const data = pageData<{ document: string }>("page-data");
// No validator: it would send the document to a third party.
SwaggerUI({ url: data.document, dom_id: "#root", validatorUrl: null });
