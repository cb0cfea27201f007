/*
 * providers/offline/offline_text.c - the offline provider's text banks, one register per age group
 * SPDX-License-Identifier: MIT
 */
#include "offline_text.h"

#include <string.h>

static const struct offline_style styles[] = {
    {
        .id = "elementary",
        .audience = "Elementary school children (ages 6 to 10)",
        .difficulty = "beginner",
        .minutes_per_section = 10,
        .intro = "Let's learn about {T}. We will go one small step at a time. You can look, ask and try things "
                 "out.",
        .conclusion = "Well done! Now you know more about {T}. Tell a friend one thing you learned today.",
        .objectives = {"Say what {T} is in your own words.", "Name two words that help us talk about {T}.",
                       "Find one place where we can see {T} in real life."},
        .titles = {"What is it?", "New words", "How does it work?", "Where do we see it?", "Why does it matter?",
                   "Oops, not quite!", "What is it like?", "How do we know?", "Let's try it!", "Still wondering"},
        .questions = {"What is {T}?", "Which new words help us talk about {T}?", "How does {T} work?",
                      "Where can we see {T} around us?", "Why is {T} important?",
                      "What do people sometimes get wrong about {T}?", "What is {T} a bit like?",
                      "How do we know things about {T}?", "How can you try out {T} yourself?",
                      "What do you still want to know about {T}?"},
        .answers = {"{T} is our topic today. It is something we can learn about. We will find out what it is.",
                    "New words help us talk about {T}. Ask a grown-up what a word means. Then use it in a sentence.",
                    "{T} works in steps. First one thing happens. Then the next thing happens.",
                    "You can spot {T} at home or at school. Look around you. Can you find it?",
                    "{T} matters to us. It helps us understand our world. That is why we learn it.",
                    "Some people mix things up about {T}. That is okay. We learn by fixing mistakes.",
                    "{T} is a bit like things you already know. Think of a toy or a game. How are they alike?",
                    "We learn about {T} by looking closely. We ask questions. Then we check our answers.",
                    "You can try a small activity about {T}. Draw it or act it out. Show it to a friend.",
                    "There is always more to learn about {T}. Write down one question. Ask your teacher."},
        .elaboration = "Take your time and ask for help if you need it.",
        .exercise_prefix = "Draw a picture or say your answer out loud: ",
        .hint_prefix = "Look back at the part called",
        .host_line = "Great question! Let's find out.",
    },
    {
        .id = "middle_school",
        .audience = "Middle school students (ages 11 to 14)",
        .difficulty = "beginner",
        .minutes_per_section = 15,
        .intro = "In this lesson we explore {T}. You will learn the main ideas, see examples from everyday life "
                 "and try a few activities to check your understanding.",
        .conclusion = "You have now seen the main ideas of {T}, how they work and why they matter. Use the "
                      "questions to check what you remember.",
        .objectives = {"Describe the main idea of {T} in your own words.",
                       "Use the key terms of {T} correctly in a sentence.",
                       "Explain one everyday example of {T} and why it happens."},
        .titles = {"The main idea", "Key terms", "How it works", "Everyday examples", "Why it matters",
                   "Common mistakes", "Connections", "How we find out", "Try it yourself", "Questions to explore"},
        .questions = {"What is the main idea of {T}?", "Which key terms do you need to describe {T}?",
                      "How does {T} work, step by step?", "Where do you meet {T} in everyday life?",
                      "Why does {T} matter to people and the world around us?",
                      "What are common mistakes people make about {T}?",
                      "How is {T} connected to other subjects you study?",
                      "How do scientists and experts find out about {T}?",
                      "How could you test an idea about {T} with a simple activity?",
                      "What questions about {T} are still worth exploring?"},
        .answers = {"The main idea of {T} is the starting point for everything else. Once you understand it, the "
                    "details make more sense.",
                    "Key terms are the special words used to describe {T}. Learning each one with a short "
                    "definition and an example makes the topic easier to follow.",
                    "{T} can be explained as a series of steps. Each step causes the next one, so the order is "
                    "important.",
                    "You can find {T} in daily life, at home, at school or in sport. Spotting these examples "
                    "helps you remember the ideas.",
                    "{T} matters because it affects how people live and how the world works. Knowing about it "
                    "helps you make better choices.",
                    "A common mistake is to mix up the main idea of {T} with one of its details. Checking "
                    "definitions carefully avoids this.",
                    "{T} links to other subjects such as science, history or maths. Seeing these links makes "
                    "learning stronger.",
                    "Experts learn about {T} by observing, measuring and testing ideas. They compare results "
                    "before they trust a conclusion.",
                    "A simple activity, like a small experiment or a model, lets you test an idea about {T} and "
                    "see what happens.",
                    "Some questions about {T} are still open. Asking your own questions is how new knowledge "
                    "begins."},
        .elaboration = "Try to explain this to a classmate to check that you really understand it.",
        .exercise_prefix = "Write three or four sentences to answer: ",
        .hint_prefix = "Reread the section",
        .host_line = "Good question. Here is how I would explain it.",
    },
    {
        .id = "high_school",
        .audience = "High school students (ages 14 to 18)",
        .difficulty = "intermediate",
        .minutes_per_section = 20,
        .intro = "This material examines {T}, setting out its core principles, the evidence behind them and the "
                 "real-world applications that make the topic relevant beyond the classroom.",
        .conclusion = "Taken together, the principles, evidence and applications of {T} form a coherent picture; "
                      "use the questions and exercises to test whether you can explain and apply it.",
        .objectives = {"Explain the core principles of {T} using accurate terminology.",
                       "Analyse how the processes behind {T} lead to observable results.",
                       "Evaluate real-world applications of {T} using evidence."},
        .titles = {"Core principles", "Essential terminology", "Underlying processes", "Real-world applications",
                   "Significance", "Misconceptions", "Links to other topics", "Evidence and investigation",
                   "Applying the ideas", "Open questions"},
        .questions = {"What are the core principles of {T}?", "Which terms are essential for discussing {T} precisely?",
                      "Which processes explain how {T} works?", "How is {T} applied in the real world?",
                      "Why is {T} significant for society and for further study?",
                      "Which misconceptions about {T} are common, and why are they wrong?",
                      "How does {T} connect to other topics in the curriculum?",
                      "What evidence supports our current understanding of {T}?",
                      "How would you apply the ideas of {T} to solve a practical problem?",
                      "Which questions about {T} remain open or debated?"},
        .answers = {"The core principles of {T} describe what it is and the rules it follows; every later idea "
                    "builds on them, so it pays to state them precisely.",
                    "Precise terminology lets you discuss {T} without ambiguity, and each term should be defined "
                    "when it is first used and then applied consistently.",
                    "The processes behind {T} link causes to effects; tracing each step explains why the outcome "
                    "is what we observe.",
                    "{T} is applied in technology, health, the environment and everyday decisions, which shows "
                    "how theory becomes practice.",
                    "{T} is significant because it shapes decisions made by individuals and societies, and it "
                    "underpins more advanced study.",
                    "A frequent misconception is to treat one example of {T} as the whole rule; comparing several "
                    "cases corrects this.",
                    "{T} connects with other topics through shared concepts, so knowledge in one area can explain "
                    "patterns in another.",
                    "Our understanding of {T} rests on observations and experiments whose results have been "
                    "repeated and checked by others.",
                    "Applying {T} to a practical problem means identifying the relevant principle, predicting the "
                    "outcome and checking the prediction.",
                    "Some aspects of {T} are still debated, which is a reminder that knowledge develops as new "
                    "evidence appears."},
        .elaboration = "Support each claim with an example or a piece of evidence.",
        .exercise_prefix = "Write a paragraph, with evidence, that answers: ",
        .hint_prefix = "Consider the section",
        .host_line = "That is a key point, so let me unpack it.",
    },
    {
        .id = "college",
        .audience = "College and university students",
        .difficulty = "advanced",
        .minutes_per_section = 30,
        .intro = "This material provides a rigorous examination of {T}, situating its central concepts within the "
                 "wider theoretical framework of the discipline and critically evaluating the empirical evidence "
                 "and methodological approaches on which current understanding rests.",
        .conclusion = "In sum, an adequate account of {T} integrates its conceptual foundations, the mechanisms "
                      "that operationalise them and the empirical evidence that constrains competing "
                      "interpretations, while acknowledging the questions that remain unresolved.",
        .objectives = {"Critically analyse the conceptual foundations of {T}.",
                       "Evaluate competing theoretical interpretations of {T} against empirical evidence.",
                       "Synthesise findings on {T} to formulate a well-justified research question."},
        .titles = {"Conceptual foundations", "Disciplinary terminology", "Mechanisms and models",
                   "Applications and case studies", "Theoretical and practical significance",
                   "Persistent misconceptions", "Interdisciplinary connections", "Empirical evidence and methods",
                   "Application and analysis", "Unresolved questions and further research"},
        .questions = {"What are the conceptual foundations of {T}, and how are they justified?",
                      "How does the disciplinary terminology of {T} constrain its analysis?",
                      "Which mechanisms and models best account for {T}?",
                      "What do applied case studies reveal about the scope and limits of {T}?",
                      "Why is {T} theoretically and practically significant?",
                      "Which misconceptions about {T} persist in the literature, and why?",
                      "How does {T} intersect with adjacent disciplines?",
                      "Which empirical methods underpin current knowledge of {T}, and what are their limitations?",
                      "How would you operationalise {T} to analyse a concrete problem?",
                      "Which questions about {T} remain unresolved, and how might they be investigated?"},
        .answers = {"The conceptual foundations of {T} define its scope and its central constructs; their "
                    "justification depends on both theoretical coherence and consistency with the available "
                    "evidence.",
                    "The disciplinary terminology associated with {T} is not merely descriptive: each term embeds "
                    "theoretical commitments that shape which questions can be asked and how findings are "
                    "interpreted.",
                    "Explanatory models of {T} specify the mechanisms linking antecedent conditions to observed "
                    "outcomes, and they should be judged by their predictive power as well as their parsimony.",
                    "Case studies of {T} illustrate how general principles behave under specific conditions, "
                    "thereby exposing both the scope and the boundary conditions of the theory.",
                    "The significance of {T} lies in its explanatory reach, since it informs policy, practice and "
                    "subsequent theoretical development across several fields.",
                    "Persistent misconceptions about {T} typically arise from overgeneralising a single context "
                    "or from conflating correlation with causation, and they are corrected by systematic "
                    "comparison.",
                    "{T} intersects with adjacent disciplines through shared methods and constructs, which "
                    "enables interdisciplinary synthesis but also requires careful translation of terms.",
                    "Current knowledge of {T} rests on observational, experimental and quantitative methods, each "
                    "of which carries characteristic limitations regarding validity and generalisability.",
                    "Operationalising {T} requires specifying measurable variables, deriving testable predictions "
                    "and selecting methods appropriate to the level of analysis.",
                    "Several questions about {T} remain unresolved, and addressing them calls for improved "
                    "measurement, replication across contexts and more integrative theoretical models."},
        .elaboration = "Consider the strength of the evidence and the assumptions each interpretation requires.",
        .exercise_prefix = "Write a short analytical essay, citing evidence, on the question: ",
        .hint_prefix = "Draw on the discussion in",
        .host_line = "That raises an important analytical point, so let us examine it carefully.",
    },
    {
        .id = "adult_learning",
        .audience = "Adult learners and professionals",
        .difficulty = "intermediate",
        .minutes_per_section = 20,
        .intro = "This guide explains {T} in practical terms: what you need to know, why it matters and how to "
                 "apply it at work and in everyday life.",
        .conclusion = "You now have a practical overview of {T}. Pick one idea and apply it this week; that is "
                      "the quickest way to make it stick.",
        .objectives = {"Summarise the essentials of {T} in plain language.",
                       "Apply the key ideas of {T} to a situation from your work or daily life.",
                       "Identify common pitfalls when dealing with {T} and how to avoid them."},
        .titles = {"The essentials", "Key terms in plain language", "How it works in practice",
                   "Examples from work and life", "Why it matters to you", "Common pitfalls", "Related skills",
                   "What the evidence says", "Putting it into practice", "Where to go next"},
        .questions = {"What are the essentials of {T}?", "Which key terms should you know about {T}?",
                      "How does {T} work in practice?", "Where does {T} show up at work and in daily life?",
                      "Why does {T} matter to you?", "What pitfalls should you avoid with {T}?",
                      "Which related skills support {T}?", "What does the evidence say about {T}?",
                      "How can you put {T} into practice this week?", "Where can you go next with {T}?"},
        .answers = {"The essentials of {T} fit in a few sentences: what it is, what it does and when it matters. "
                    "Start there before the details.",
                    "A handful of key terms covers most conversations about {T}. Learn them in plain language "
                    "and check them against real examples.",
                    "In practice, {T} follows a clear sequence of steps, and knowing the sequence helps you spot "
                    "where things can go wrong.",
                    "{T} shows up in workplaces, households and communities, often in decisions people make "
                    "every day.",
                    "{T} matters because it affects your decisions, your work and the people around you.",
                    "A common pitfall is to rely on rules of thumb about {T} without checking whether they fit "
                    "the situation.",
                    "Related skills such as clear communication, planning and basic numeracy make it easier to "
                    "use {T} well.",
                    "Reliable evidence about {T} comes from sources that explain their methods and are checked "
                    "by others.",
                    "Choose one small, concrete situation this week and apply {T} to it; then review what "
                    "worked.",
                    "Once the basics of {T} are clear, a course, a mentor or a professional community can take "
                    "you further."},
        .elaboration = "Relate this to a situation you have experienced yourself.",
        .exercise_prefix = "Apply it to your own situation and write down: ",
        .hint_prefix = "See the section",
        .host_line = "Good question, and a practical one.",
    },
    {
        .id = "general",
        .audience = "A general audience",
        .difficulty = "beginner",
        .minutes_per_section = 15,
        .intro = "This material introduces {T}, explaining its main ideas in clear language with everyday "
                 "examples.",
        .conclusion = "That completes our overview of {T}: its main ideas, how it works, why it matters and "
                      "where to learn more.",
        .objectives = {"Explain the main ideas of {T} in clear language.",
                       "Describe how {T} works using an everyday example.",
                       "Recognise why {T} matters and where it appears in daily life."},
        .titles = {"The main ideas", "Key terms", "How it works", "Everyday examples", "Why it matters",
                   "Common misunderstandings", "Connections", "What we know and how", "Using the ideas",
                   "Questions for further thought"},
        .questions = {"What are the main ideas of {T}?", "Which key terms help explain {T}?", "How does {T} work?",
                      "Where can you see {T} in everyday life?", "Why does {T} matter?",
                      "What do people commonly misunderstand about {T}?", "How is {T} connected to other topics?",
                      "How do we know what we know about {T}?", "How can you use the ideas of {T}?",
                      "What questions about {T} are worth thinking about further?"},
        .answers = {"The main ideas of {T} explain what it is and why it happens. Everything else builds on "
                    "them.",
                    "A few key terms make {T} easier to discuss. Each one is worth defining with a simple "
                    "example.",
                    "{T} works through a sequence of causes and effects, and following that sequence explains "
                    "the result.",
                    "Examples of {T} appear in everyday situations, which makes the ideas easier to picture and "
                    "remember.",
                    "{T} matters because it helps explain the world and supports better everyday decisions.",
                    "A common misunderstanding is to take one example of {T} as the whole story; looking at "
                    "several examples gives a fuller picture.",
                    "{T} connects to other topics through shared ideas, so learning it helps with related "
                    "subjects.",
                    "What we know about {T} comes from careful observation, testing and the work of many people "
                    "over time.",
                    "You can use the ideas of {T} to explain things you notice and to make informed choices.",
                    "Some questions about {T} are still open, and thinking about them is a good way to keep "
                    "learning."},
        .elaboration = "An everyday example helps to make this concrete.",
        .exercise_prefix = "Answer in a few sentences: ",
        .hint_prefix = "Look at the section",
        .host_line = "Good question. Let me explain.",
    },
};

const struct offline_style *offline_style_for(const char *age_group)
{
    size_t n = sizeof(styles) / sizeof(styles[0]);
    if (age_group != NULL) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(styles[i].id, age_group) == 0) {
                return &styles[i];
            }
        }
    }
    return &styles[n - 1];
}
