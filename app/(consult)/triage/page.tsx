import { ConsultPage, consultMetadata } from "@/app/(consult)/consult-page";

// persona.json is read per request, so persona edits show without a rebuild.
export const dynamic = "force-dynamic";

export function generateMetadata() {
  return consultMetadata("triage");
}

export default function TriagePage() {
  return <ConsultPage variant="triage" />;
}
