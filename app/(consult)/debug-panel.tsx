import type { Strings } from "@/app/(consult)/i18n";
import type { Done } from "@/app/(consult)/types";

/** The last finished turn's stage timings and serving engines, folded away unless someone asks. */
export function DebugPanel({ done, t }: { done: Done | null; t: Strings }) {
  return (
    <details className="debug-panel" data-testid="debug-panel">
      <summary>{t.debug}</summary>
      {done ? (
        <div className="debug-panel__grid">
          <table>
            <caption>{t.timings}</caption>
            <tbody>
              {Object.entries(done.timings).map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td>{Math.round(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>{t.engines}</caption>
            <tbody>
              {Object.entries(done.engines).map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">{t.noTurnYet}</p>
      )}
    </details>
  );
}
