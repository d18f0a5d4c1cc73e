import { describe, expect, it } from "vitest";
import { removePageFurniture } from "./furniture";

const page = (n: number, body: string) => ({
  heading: `Section ${n}`,
  page: n,
  text: `Riverside General Hospital Patient Leaflet\n${body}\nPage ${n} of 4\nwww.riverside.example.org/leaflets`,
});

describe("removePageFurniture", () => {
  it("drops running headers, page numbers and addresses, and joins lines a PDF wrapped mid-sentence", () => {
    const sections = [
      page(
        1,
        "Drink plenty of fluids and rest until the fever has gone, and take paracetamol if\nyou feel uncomfortable.",
      ),
      page(2, "Sprains usually get better within two weeks. Keep the ankle raised on a pillow whenever you\nsit down."),
      page(
        3,
        "Call 999 if the person has:\n• chest pain that spreads to the arm\n• sudden weakness of the face\no slurred speech",
      ),
      page(4, "Source: https://www.nhs.uk/conditions/sprains/\nSee your GP if it does not improve."),
    ];
    const clean = removePageFurniture(sections, "pdf").map((s) => s.text);
    expect(clean[0]).toBe(
      "Drink plenty of fluids and rest until the fever has gone, and take paracetamol if you feel uncomfortable.",
    );
    expect(clean[1]).toBe(
      "Sprains usually get better within two weeks. Keep the ankle raised on a pillow whenever you sit down.",
    );
    expect(clean[2]).toBe(
      "Call 999 if the person has:\n- chest pain that spreads to the arm\n- sudden weakness of the face\n- slurred speech",
    );
    expect(clean[3]).toBe("See your GP if it does not improve.");
  });

  it("keeps a short line that starts a new paragraph, and an 'o' that is a word, not a bullet", () => {
    const [s] = removePageFurniture(
      [{ heading: "", page: null, text: "Wounds\no The ward nurse changes the dressing.\nKeep it dry." }],
      "md",
    );
    expect(s!.text).toBe("Wounds\no The ward nurse changes the dressing.\nKeep it dry.");
  });

  it("removes table rules, web addresses inside a sentence, and sentences that only point to an address", () => {
    const [s] = removePageFurniture(
      [
        {
          heading: "",
          page: null,
          text: "| --- | --- |\nTokens expire after 30 days (https://docs.npmjs.com/tokens). Read more at https://docs.npmjs.com/about-npm today.",
        },
      ],
      "html",
    );
    expect(s!.text).toBe("Tokens expire after 30 days.");
  });
});

describe("flattened pages", () => {
  const clean = (text: string) => removePageFurniture([{ heading: "Symptoms", page: null, text }], "html")[0]!.text;

  it("puts a heading run into its paragraph on its own line", () => {
    expect(clean("Symptoms of Glaucoma Glaucoma can develop in one or both eyes. It causes no pain.")).toBe(
      "Symptoms of Glaucoma\nGlaucoma can develop in one or both eyes. It causes no pain.",
    );
    // an ordinary sentence that starts with a name stays whole
    expect(clean("Riverside General Hospital is a 640-bed hospital.")).toBe(
      "Riverside General Hospital is a 640-bed hospital.",
    );
  });

  it("turns an inline dash list into items and drops the scraped copy after it", () => {
    expect(
      clean(
        "The most common symptoms of COPD are - a cough that does not go away - coughing up lots of sputum (mucus). a cough that does not go away coughing up lots of sputum (mucus). These symptoms often start years before.",
      ),
    ).toBe(
      "The most common symptoms of COPD are:\n- a cough that does not go away\n- coughing up lots of sputum (mucus)\nThese symptoms often start years before.",
    );
    expect(clean("Rest - really rest - helps most people.")).toBe("Rest - really rest - helps most people.");
  });

  it("drops page instructions about videos", () => {
    expect(
      clean(
        "Glaucoma is found by an eye exam. (Watch the video to learn more. To enlarge the video, click here.) A chart test measures sight.",
      ),
    ).toBe("Glaucoma is found by an eye exam. A chart test measures sight.");
  });
});
