"use client";

import { type CSSProperties, type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import { AnswerPlayback } from "@/app/(consult)/answer-playback";
import { AnswerText } from "@/app/(consult)/answer-text";
import { AvatarPlayer } from "@/app/(consult)/avatar-player";
import { CitationDialog } from "@/app/(consult)/citation-dialog";
import { DebugPanel } from "@/app/(consult)/debug-panel";
import { strings, type UiLang } from "@/app/(consult)/i18n";
import { LiveUpload } from "@/app/(consult)/live-upload";
import { MicError, Microphone } from "@/app/(consult)/microphone";
import { streamTurn, type TurnBody, TurnHttpError } from "@/app/(consult)/turn-stream";
import type { Done, PersonaView, Safety, Source } from "@/app/(consult)/types";
import type { TurnEvent } from "@/lib/turn/events";

interface Turn {
  /** What the user typed; a spoken question shows its transcript once the server has it. */
  question: string | null;
  /** A spoken question recognised while it was spoken (true) or from the finished recording (false). */
  live?: boolean;
  answer: string;
  sources: Source[];
  safety: Safety | null;
  notices: string[];
  error: string | null;
  stopped: boolean;
}

type MicMode = "off" | "push" | "handsFree";
type MicPhase = "idle" | "starting" | "waiting" | "recording";
const SESSION_KEY = "avatar-consult:session";

let sessionRequest: Promise<string> | null = null;

/**
 * This tab's conversation id, so the server keeps its conversation (and barge-in) apart from others. The server
 * issues it (a client cannot pick one); it is asked for once per tab and kept for the tab's life.
 */
function sessionId(personaId: string): Promise<string> {
  const stored = sessionStorage.getItem(SESSION_KEY);
  if (stored) return Promise.resolve(stored);
  sessionRequest ??= fetch(`/api/personas/${encodeURIComponent(personaId)}/sessions`, { method: "POST" })
    .then(async (res) => {
      if (!res.ok) throw new TurnHttpError(res.status, res.statusText);
      const { sessionId: id } = (await res.json()) as { sessionId: string };
      sessionStorage.setItem(SESSION_KEY, id);
      return id;
    })
    .finally(() => {
      sessionRequest = null;
    });
  return sessionRequest;
}

const MIC_MESSAGE = {
  denied: "micDenied",
  missing: "micMissing",
  unavailable: "micUnavailable",
  failed: "micFailed",
} as const;

/** A microphone that could not start: the key of its message, kept apart from the turn so it survives a new one. */
type Problem = (typeof MIC_MESSAGE)[keyof typeof MIC_MESSAGE] | null;

export function Consultation({ persona }: { persona: PersonaView }) {
  const [lang, setLang] = useState<UiLang>(persona.languages[0] ?? "en");
  const t = strings[lang];
  const [playback] = useState(() => new AnswerPlayback());
  const [speaking, setSpeaking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [turn, setTurn] = useState<Turn | null>(null);
  const [lastDone, setLastDone] = useState<Done | null>(null);
  const [text, setText] = useState("");
  const [citation, setCitation] = useState<Source | null>(null);
  const [micMode, setMicMode] = useState<MicMode>("off");
  const [micPhase, setMicPhase] = useState<MicPhase>("idle");
  const [problem, setProblem] = useState<Problem>(null);
  const abortRef = useRef<AbortController | null>(null);
  const micRef = useRef<Microphone | null>(null);
  const liveRef = useRef<LiveUpload | null>(null);
  const micModeRef = useRef<MicMode>("off");

  // The server renders the persona's first language; the browser's own language wins once we can read it.
  useEffect(() => {
    const preferred: UiLang = navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
    if (persona.languages.includes(preferred)) setLang(preferred);
  }, [persona.languages]);

  const stop = useCallback(() => {
    abortRef.current?.abort();
    abortRef.current = null;
    playback.stop();
    setBusy(false);
    setTurn((prev) => prev && { ...prev, stopped: true });
  }, [playback]);

  const apply = useCallback(
    (e: TurnEvent) => {
      const update = (patch: (prev: Turn) => Partial<Turn>) => setTurn((prev) => prev && { ...prev, ...patch(prev) });
      switch (e.type) {
        case "transcript":
          return update(() => ({ question: e.text, live: e.live }));
        case "safety":
          return update(() => ({ safety: e.level === "none" ? null : e }));
        case "sources":
          return update(() => ({ sources: e.sources }));
        case "text":
          return update((prev) => ({ answer: prev.answer + e.delta }));
        case "audio":
          return playback.addAudio(e);
        case "video":
          return playback.addVideo(e);
        case "notice":
          return update((prev) => ({ notices: [...prev.notices, e.message] }));
        case "done":
          return setLastDone(e);
        case "error":
          return update(() => ({ error: e.message }));
        case "turn":
          // The server starts a new session when it did not accept the one sent (e.g. after its secret changed).
          sessionStorage.setItem(SESSION_KEY, e.sessionId);
          return;
      }
    },
    [playback],
  );

  const ask = useCallback(
    async (body: TurnBody, question: string | null) => {
      // Barge-in: a new question silences the previous answer and cancels its stream (the server stops it too).
      abortRef.current?.abort();
      playback.stop();
      playback.unlock();
      const controller = new AbortController();
      abortRef.current = controller;
      setBusy(true);
      setProblem(null);
      setTurn({ ...emptyTurn(), question });
      try {
        for await (const event of streamTurn(persona.id, await sessionId(persona.id), body, controller.signal)) {
          if (controller.signal.aborted) break;
          apply(event);
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        const message =
          err instanceof TurnHttpError ? `${strings[lang].serverError}: ${err.message}` : strings[lang].networkError;
        setTurn((prev) => prev && { ...prev, error: message });
      } finally {
        if (abortRef.current === controller) {
          abortRef.current = null;
          setBusy(false);
        }
      }
    },
    [apply, lang, persona.id, playback],
  );

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const q = text.trim();
    if (!q) return;
    setText("");
    void ask({ kind: "text", text: q }, q);
  };

  const startRecording = useCallback(() => {
    liveRef.current?.cancel();
    liveRef.current = LiveUpload.start(persona.id, sessionId(persona.id));
    micRef.current?.begin();
  }, [persona.id]);

  const sendRecording = useCallback(() => {
    const wav = micRef.current?.finish();
    const live = liveRef.current;
    liveRef.current = null;
    if (!wav) {
      live?.cancel();
      setTurn({ ...emptyTurn(), error: strings[lang].tooShort });
      return;
    }
    void (async () => ask({ kind: "wav", wav, speechId: await live?.finish() }, null))();
  }, [ask, lang]);

  const closeMic = useCallback(() => {
    micRef.current?.close();
    micRef.current = null;
    liveRef.current?.cancel();
    liveRef.current = null;
    micModeRef.current = "off";
    setMicMode("off");
    setMicPhase("idle");
  }, []);

  const openMic = useCallback(
    async (mode: Exclude<MicMode, "off">) => {
      micModeRef.current = mode;
      setMicMode(mode);
      setMicPhase("starting");
      setProblem(null);
      try {
        const mic = await Microphone.open({
          // Only hands-free follows speech start and end; push-to-talk records from press to press.
          onSpeechStart: () => {
            if (micModeRef.current !== "handsFree") return;
            startRecording();
            setMicPhase("recording");
          },
          onSpeechEnd: () => {
            if (micModeRef.current !== "handsFree" || !micRef.current?.recording) return;
            setMicPhase("waiting");
            sendRecording();
          },
          onRecorded: (pcm) => liveRef.current?.push(pcm),
        });
        if (micModeRef.current !== mode) return mic.close();
        micRef.current = mic;
        if (mode === "push") {
          startRecording();
          setMicPhase("recording");
        } else setMicPhase("waiting");
      } catch (err) {
        closeMic();
        const kind = err instanceof MicError ? err.kind : "failed";
        setProblem(MIC_MESSAGE[kind]);
      }
    },
    [closeMic, sendRecording, startRecording],
  );

  const onPushToTalk = () => {
    playback.unlock();
    if (micMode === "push" && micPhase === "recording") {
      sendRecording();
      closeMic();
    } else if (micMode === "off") void openMic("push");
  };

  const onHandsFree = () => {
    playback.unlock();
    if (micMode === "handsFree") closeMic();
    else {
      closeMic();
      void openMic("handsFree");
    }
  };

  // Leaving the page releases the microphone and silences any answer.
  useEffect(
    () => () => {
      micRef.current?.close();
      abortRef.current?.abort();
      playback.stop();
    },
    [playback],
  );

  const greeting = persona.greeting[lang] ?? persona.greeting.en ?? "";
  const disclaimer = persona.disclaimer[lang] ?? persona.disclaimer.en;
  const otherLang: UiLang = lang === "en" ? "zh" : "en";
  const status = speaking
    ? t.speaking
    : micPhase === "recording"
      ? t.recording
      : micPhase === "waiting"
        ? t.handsFreeWaiting
        : busy
          ? t.thinking
          : t.online;
  // Retrieval returns more passages than the answer uses; only the ones it cites are its sources.
  const cited = turn ? turn.sources.filter((s) => turn.answer.includes(`[${s.n}]`)) : [];
  const pushRecording = micMode === "push" && micPhase === "recording";

  return (
    <div
      className={`consult consult--${persona.variant}`}
      lang={lang === "zh" ? "zh-CN" : "en"}
      style={{ "--accent": persona.accent, "--tint": persona.background } as CSSProperties}
    >
      <header className="consult__bar">
        <div className="consult__brand">
          <span className="consult__logo" aria-hidden="true">
            {persona.variant === "triage" ? "+" : "◆"}
          </span>
          <div>
            <p className="consult__org">{persona.organisation}</p>
            <p className="consult__kind">{t.consultKind[persona.variant]}</p>
          </div>
        </div>
        {persona.languages.includes(otherLang) && (
          <button
            type="button"
            className="btn btn--ghost"
            onClick={() => setLang(otherLang)}
            aria-label={t.languageToggleLabel}
            lang={otherLang === "zh" ? "zh-CN" : "en"}
          >
            {t.languageToggle}
          </button>
        )}
      </header>

      {persona.variant === "triage" && persona.emergencyNumber && (
        <p className="consult__emergency-strip">
          {t.disclaimerTriage} <strong>{persona.emergencyNumber}</strong>.
        </p>
      )}

      <main className="consult__main">
        <section className="consult__stage" aria-label={persona.name}>
          <AvatarPlayer
            personaId={persona.id}
            alt={persona.avatarAlt}
            playback={playback}
            onSpeakingChange={setSpeaking}
          />
          <div className="consult__identity">
            <h1>{persona.name}</h1>
            <p>
              {persona.title} · {persona.organisation}
            </p>
            <p className={`status-pill${speaking || micPhase === "recording" ? " status-pill--live" : ""}`}>
              <span className="status-pill__dot" aria-hidden="true" />
              {status}
            </p>
          </div>
        </section>

        <section className="consult__chat" aria-label={t.answerHeading}>
          {turn?.safety && (
            <div
              className={`safety-banner safety-banner--${turn.safety.level}`}
              data-testid="safety-banner"
              role={turn.safety.level === "emergency" ? "alert" : "status"}
            >
              <strong>{turn.safety.level === "emergency" ? t.emergency : t.urgent}</strong>
              <p>{turn.safety.message}</p>
              {turn.safety.level === "emergency" && persona.emergencyNumber && (
                <a className="btn btn--danger" href={`tel:${persona.emergencyNumber}`}>
                  {t.callNow(persona.emergencyNumber)}
                </a>
              )}
            </div>
          )}

          <div className="thread">
            <div className="bubble bubble--agent">
              <p>{greeting}</p>
            </div>
            {turn && (
              <div className="bubble bubble--user" data-testid="transcript" data-live={turn.live}>
                <span className="bubble__who">{t.you}</span>
                <p>{turn.question ?? <span className="muted">{t.transcriptPending}</span>}</p>
              </div>
            )}
            {turn && (
              <div className="bubble bubble--agent bubble--answer">
                <span className="bubble__who">{persona.name}</span>
                <p data-testid="answer" aria-live="polite" aria-busy={busy}>
                  <AnswerText text={turn.answer} sources={turn.sources} t={t} onCite={setCitation} />
                  {busy && !turn.answer && (
                    <span className="typing">
                      <span className="visually-hidden">{t.thinking}</span>
                    </span>
                  )}
                </p>
                {cited.length > 0 && (
                  <ol className="sources" aria-label={t.sources}>
                    {cited.map((s) => (
                      <li key={s.n}>
                        <button type="button" className="sources__item" onClick={() => setCitation(s)}>
                          <span className="sources__n">{s.n}</span>
                          <span className="sources__title">{s.title}</span>
                          {s.page !== null && (
                            <span className="muted">
                              {t.page} {s.page}
                            </span>
                          )}
                        </button>
                      </li>
                    ))}
                  </ol>
                )}
                {turn.notices.map((n) => (
                  <p key={n} className="notice">
                    {n}
                  </p>
                ))}
                {turn.stopped && <p className="notice">{t.stopped}</p>}
              </div>
            )}
            {(turn?.error || problem) && (
              <p className="error" role="alert">
                {problem ? t[problem] : turn?.error}
              </p>
            )}
          </div>

          {disclaimer && <p className="consult__disclaimer">{disclaimer}</p>}

          <form className="composer" onSubmit={onSubmit}>
            <label htmlFor="question" className="visually-hidden">
              {t.questionLabel}
            </label>
            <input
              id="question"
              className="composer__input"
              data-testid="question-input"
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder={t.questionPlaceholder}
              autoComplete="off"
              maxLength={2000}
            />
            <button type="submit" className="btn btn--primary" data-testid="send-button" disabled={!text.trim()}>
              {t.send}
            </button>
            <div className="composer__voice">
              <button
                type="button"
                className={`btn btn--mic${pushRecording ? " btn--recording" : ""}`}
                data-testid="mic-button"
                aria-pressed={pushRecording}
                aria-label={t.talkLabel}
                onClick={onPushToTalk}
                disabled={micMode === "handsFree" || micPhase === "starting"}
              >
                <span className="mic-icon" aria-hidden="true" />
                {pushRecording ? t.talkStop : t.talk}
              </button>
              <label className="switch" title={t.handsFreeHint}>
                <input
                  type="checkbox"
                  role="switch"
                  aria-checked={micMode === "handsFree"}
                  checked={micMode === "handsFree"}
                  onChange={onHandsFree}
                />
                <span>{t.handsFree}</span>
              </label>
              <button
                type="button"
                className="btn btn--stop"
                data-testid="stop-button"
                aria-label={t.stopLabel}
                onClick={stop}
                disabled={!busy && !speaking}
              >
                <span className="stop-icon" aria-hidden="true" />
                {t.stop}
              </button>
            </div>
          </form>
          <p className="consult__privacy muted">{t.privacy}</p>
          <DebugPanel done={lastDone} t={t} />
        </section>
      </main>
      <CitationDialog source={citation} t={t} onClose={() => setCitation(null)} />
    </div>
  );
}

function emptyTurn(): Turn {
  return { question: null, answer: "", sources: [], safety: null, notices: [], error: null, stopped: false };
}
