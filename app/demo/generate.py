"""Generated news articles in volume, deterministic for a seed, for load tests and benchmarks."""

import random
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session, SQLModel

from app.articles.blocks import body_columns
from app.ids import new_id
from app.models import (
    Article,
    ArticleAuthor,
    ArticleStatus,
    ArticleTag,
    Author,
    AuthorKind,
    FeedEntry,
    Photo,
    RelatedLink,
    Section,
    Site,
    Tag,
)

Row = dict[str, Any]
Pools = Mapping[str, Sequence[str]]

# Generated stories are spread over the two years before this moment.
ANCHOR = datetime(2025, 6, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
BATCH = 1000
SITE_URL = "https://news.example.org"
MEDIA_URL = "https://media.example.org"
RENDITION_WIDTHS = (320, 640, 1024, 1600)
YOUTUBE_ALPHABET = string.ascii_letters + string.digits + "-_"

# ---------------------------------------------------------------------------------------------
# Sections, tags and authors: fixed lists, reused when their slug is already in the database.

SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("ukraine", "Ukraine", "The war, politics and everyday life in Ukraine."),
    ("world", "World", "International news from every continent."),
    ("europe", "Europe", "The European Union, its neighbours and its politics."),
    ("business", "Business", "Economy, markets, companies and energy."),
    ("culture", "Culture", "Film, books, music, art and ideas."),
    ("science", "Science", "Research, space, health and the environment."),
    ("opinion", "Opinion", "Columns and guest essays."),
    ("analysis", "Analysis", "Explainers and in-depth reporting."),
)
SECTION_WEIGHTS = {
    "ukraine": 30,
    "world": 18,
    "europe": 15,
    "business": 13,
    "culture": 8,
    "science": 6,
    "opinion": 5,
    "analysis": 5,
}

TAGS: tuple[str, ...] = (
    "Russia",
    "Peace talks",
    "Sanctions",
    "NATO",
    "European Union",
    "Energy",
    "Economy",
    "Elections",
    "Drones",
    "Air defense",
    "Prisoner exchange",
    "Reconstruction",
    "Agriculture",
    "Grain exports",
    "Corruption",
    "Courts",
    "Human rights",
    "Climate",
    "Space",
    "Artificial intelligence",
    "Health",
    "Education",
    "Film",
    "Music",
    "Literature",
    "Football",
    "Migration",
    "Trade",
    "Inflation",
    "Central banks",
    "Cybersecurity",
    "Diplomacy",
    "Black Sea",
    "Crimea",
    "Donbas",
    "Refugees",
    "War crimes",
    "Military aid",
    "Defense industry",
    "Infrastructure",
)
SECTION_TAGS: dict[str, tuple[str, ...]] = {
    "ukraine": (
        "Russia",
        "Drones",
        "Air defense",
        "Prisoner exchange",
        "Reconstruction",
        "Crimea",
        "Donbas",
        "War crimes",
        "Military aid",
        "Infrastructure",
        "Energy",
        "Corruption",
    ),
    "world": (
        "Diplomacy",
        "Elections",
        "Human rights",
        "Migration",
        "Refugees",
        "Trade",
        "Climate",
        "Peace talks",
        "Sanctions",
    ),
    "europe": (
        "European Union",
        "NATO",
        "Sanctions",
        "Elections",
        "Migration",
        "Defense industry",
        "Energy",
        "Diplomacy",
        "Courts",
    ),
    "business": (
        "Economy",
        "Inflation",
        "Central banks",
        "Trade",
        "Energy",
        "Agriculture",
        "Grain exports",
        "Black Sea",
        "Cybersecurity",
        "Defense industry",
    ),
    "culture": ("Film", "Music", "Literature", "Football", "Education", "Human rights"),
    "science": (
        "Space",
        "Climate",
        "Health",
        "Artificial intelligence",
        "Agriculture",
        "Cybersecurity",
    ),
    "opinion": (
        "Peace talks",
        "Sanctions",
        "NATO",
        "European Union",
        "Military aid",
        "Corruption",
        "Reconstruction",
        "Diplomacy",
    ),
    "analysis": (
        "Drones",
        "Air defense",
        "Economy",
        "Energy",
        "Sanctions",
        "Peace talks",
        "Defense industry",
        "Black Sea",
        "Military aid",
    ),
}

FIRST_NAMES: tuple[str, ...] = (
    "Olena",
    "Andrii",
    "Iryna",
    "Taras",
    "Oksana",
    "Dmytro",
    "Nataliia",
    "Serhii",
    "Kateryna",
    "Mykola",
    "Sofia",
    "Yurii",
    "Anna",
    "Bohdan",
    "Marta",
    "Oleksandr",
    "Hanna",
    "Maksym",
    "Julia",
    "Roman",
    "Claire",
    "Tomasz",
    "Ingrid",
    "Lukas",
    "Emma",
    "Daniel",
    "Lucia",
    "Matteo",
    "Sarah",
    "Jonas",
)
LAST_NAMES: tuple[str, ...] = (
    "Marchuk",
    "Kovalchuk",
    "Bondar",
    "Melnyk",
    "Tkachenko",
    "Savchuk",
    "Hnatiuk",
    "Lysenko",
    "Shevchuk",
    "Kravets",
    "Moroz",
    "Oliinyk",
    "Rudenko",
    "Pavlenko",
    "Zinchenko",
    "Honchar",
    "Dubovyk",
    "Karpenko",
    "Vasylenko",
    "Yaremko",
    "Novak",
    "Wrona",
    "Lindqvist",
    "Berger",
    "Hartley",
    "Moreau",
    "Ferrante",
    "Keller",
    "Brennan",
    "Dahl",
)
BEAT_TITLES: dict[str, str] = {
    "ukraine": "Reporter",
    "world": "Foreign correspondent",
    "europe": "Europe correspondent",
    "business": "Business reporter",
    "culture": "Culture editor",
    "science": "Science reporter",
    "opinion": "Columnist",
    "analysis": "Senior analyst",
}
DESKS: tuple[tuple[str, str, str], ...] = (
    ("news-desk", "The news desk", "Breaking news and updates from our newsroom."),
    ("video-desk", "The video desk", "Video reports, explainers and documentaries."),
)


def _person(index: int) -> str:
    """Author number `index`: first and last names paired by a fixed stride."""
    return f"{FIRST_NAMES[index]} {LAST_NAMES[(7 * index + 3) % len(LAST_NAMES)]}"


# People quoted in stories: the same names, paired differently.
SOURCES: tuple[str, ...] = tuple(
    dict.fromkeys(
        f"{FIRST_NAMES[i]} {LAST_NAMES[(stride * i + shift) % len(LAST_NAMES)]}"
        for stride, shift in ((11, 5), (13, 17))
        for i in range(len(FIRST_NAMES))
    )
)
PHOTOGRAPHERS: tuple[str, ...] = (
    "Genya Savilov",
    "Sergei Supinsky",
    "Roman Pilipey",
    "Aris Messinis",
    "Ozge Elif Kizil",
    "Diego Herrera",
    "Anatolii Stepanov",
    "Efrem Lukatsky",
    "Evgeniy Maloletka",
    "Libkos Vanko",
    "Tetiana Dzhafarova",
    "Ed Ram",
    "Kostiantyn Liberov",
    "Vlada Liberova",
    "Oleksii Filippov",
    "Mila Tesla",
    "Jonas Richter",
    "Marie Laurent",
    "Pablo Ortega",
    "Hana Suzuki",
)
AGENCIES: tuple[str | None, ...] = (
    "AFP via Getty Images",
    "AFP via Getty Images",
    "Reuters",
    "Reuters",
    "AP",
    "AP",
    "Anadolu via Getty Images",
    None,
    None,
)
AGENCY_TERMS = "Editorial use on the publication's own pages; not licensed for syndication."
STAFF_TERMS = "Owned by the publication; may be syndicated to partners with credit."

# ---------------------------------------------------------------------------------------------
# Word pools and templates. A `{name}` slot takes a value from the pool `name`; a trailing
# digit (`{country2}`) draws again from the same pool, never repeating a value in one text.

COMMON: dict[str, tuple[str, ...]] = {
    "person": SOURCES,
    "role": (
        "the regional governor",
        "a senior government official",
        "a spokesperson for the ministry",
        "an adviser to the president",
        "the head of the parliamentary committee",
        "a member of parliament",
        "an economist at a Kyiv-based think tank",
        "the city's deputy mayor",
        "a researcher at the national academy",
        "a diplomat familiar with the talks",
        "the head of the local council",
    ),
    "office": (
        "Foreign Minister",
        "Defense Minister",
        "Prime Minister",
        "Finance Minister",
        "Energy Minister",
        "Deputy Foreign Minister",
        "Economy Minister",
    ),
    "org": (
        "the European Commission",
        "NATO",
        "the UN Security Council",
        "the IMF",
        "the World Bank",
        "the OSCE",
        "the International Energy Agency",
        "the G7",
        "the Red Cross",
        "the UN refugee agency",
    ),
    "country": (
        "Poland",
        "Germany",
        "France",
        "Italy",
        "Spain",
        "Romania",
        "Lithuania",
        "Finland",
        "Moldova",
        "Georgia",
        "Turkey",
        "Japan",
        "Brazil",
        "India",
        "Kenya",
        "Canada",
        "Norway",
        "Slovakia",
        "the Czech Republic",
        "the United States",
        "the United Kingdom",
        "South Korea",
    ),
    "when": (
        "on Monday",
        "on Tuesday",
        "on Wednesday",
        "on Thursday",
        "on Friday",
        "on Saturday",
        "on Sunday",
        "last week",
        "earlier this month",
        "overnight",
        "this morning",
    ),
    "when_future": (
        "next week",
        "by the end of the month",
        "in the coming days",
        "later this year",
        "after the summer",
        "before the end of the year",
    ),
    "num": ("two", "three", "four", "five", "seven", "12", "15", "20", "27", "40", "120", "300"),
    "num_big": ("640,000", "1.2 million", "3.4 million", "5 million", "850,000", "2.1 million"),
    "pct": ("1.8", "2.3", "3.1", "4.5", "5.2", "6.7", "8.9", "12.4"),
    "year": ("2014", "2016", "2017", "2018", "2019", "2020", "2021", "2022", "2023"),
    "month": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "factor": (
        "funding",
        "the position of key member states",
        "the situation on the ground",
        "the timing of elections",
        "energy prices",
        "the weather",
        "public support",
    ),
    "local_event": (
        "several streets were closed to traffic",
        "queues formed outside polling stations",
        "schools switched to online classes",
        "flights were briefly suspended",
        "public transport ran on a reduced schedule",
        "shops closed early",
    ),
    "outlet": (
        "Reuters",
        "the Associated Press",
        "Politico",
        "the Financial Times",
        "Deutsche Welle",
        "Le Monde",
        "the BBC",
    ),
    "outlet_link": (
        '<a href="https://www.reuters.com/">Reuters</a>',
        '<a href="https://apnews.com/">the Associated Press</a>',
        '<a href="https://www.politico.eu/">Politico</a>',
        '<a href="https://www.ft.com/">the Financial Times</a>',
        '<a href="https://www.dw.com/">Deutsche Welle</a>',
    ),
    "quote": (
        "We will continue working with our partners until the job is done",
        "Every day of delay costs lives",
        "This is an important step, but it is only a first step",
        "We cannot afford to wait another year",
        "People deserve to know the truth",
        "Nobody expected the talks to be easy",
        "The numbers speak for themselves",
        "We are ready to compromise, but not on our sovereignty",
        "Our priority is the safety of civilians",
        "It is a signal that the pressure is working",
        "We have seen this pattern before",
        "The next few weeks will be decisive",
        "This decision was long overdue",
        "There is no plan B",
    ),
}

# Section by section: places, photo scenes, headline and sentence templates, extra pools.
SECTION_PLACES: dict[str, tuple[tuple[str, str], ...]] = {
    "ukraine": (
        ("Kyiv", "Ukraine"),
        ("Kharkiv", "Ukraine"),
        ("Odesa", "Ukraine"),
        ("Lviv", "Ukraine"),
        ("Dnipro", "Ukraine"),
        ("Zaporizhzhia", "Ukraine"),
        ("Sumy", "Ukraine"),
        ("Kherson", "Ukraine"),
        ("Mykolaiv", "Ukraine"),
        ("Poltava", "Ukraine"),
        ("Chernihiv", "Ukraine"),
        ("Kramatorsk", "Ukraine"),
    ),
    "world": (
        ("Washington", "United States"),
        ("Istanbul", "Turkey"),
        ("Geneva", "Switzerland"),
        ("New Delhi", "India"),
        ("Nairobi", "Kenya"),
        ("Tokyo", "Japan"),
        ("Ottawa", "Canada"),
        ("Brasilia", "Brazil"),
        ("Ankara", "Turkey"),
        ("Cairo", "Egypt"),
        ("Seoul", "South Korea"),
    ),
    "europe": (
        ("Brussels", "Belgium"),
        ("Warsaw", "Poland"),
        ("Berlin", "Germany"),
        ("Paris", "France"),
        ("Vienna", "Austria"),
        ("Rome", "Italy"),
        ("Madrid", "Spain"),
        ("Vilnius", "Lithuania"),
        ("Helsinki", "Finland"),
        ("Bucharest", "Romania"),
        ("Chisinau", "Moldova"),
        ("Prague", "Czech Republic"),
        ("Riga", "Latvia"),
        ("Tallinn", "Estonia"),
    ),
}
SECTION_PLACES["business"] = SECTION_PLACES["ukraine"][:6] + SECTION_PLACES["europe"][:6]
SECTION_PLACES["culture"] = SECTION_PLACES["ukraine"][:4] + SECTION_PLACES["europe"][2:8]
SECTION_PLACES["science"] = SECTION_PLACES["ukraine"][:3] + SECTION_PLACES["world"][:6]
SECTION_PLACES["opinion"] = SECTION_PLACES["ukraine"][:2] + SECTION_PLACES["europe"][:3]
SECTION_PLACES["analysis"] = SECTION_PLACES["ukraine"] + SECTION_PLACES["europe"][:4]

GENERAL_SENTENCES: tuple[str, ...] = (
    "{person}, {role}, said the decision was expected to be finalized {when_future}.",
    "The details of the agreement have not been made public.",
    "Officials declined to comment on the timing of the next steps.",
    "{person}, {role}, told reporters {when} that talks would continue.",
    "The move was welcomed by {org}, which called it a step in the right direction.",
    "Critics said the plan did not go far enough.",
    "According to {outlet_link}, the figures were revised {when}.",
    "{person} told <em>{outlet}</em> that the situation remained difficult.",
    "The claim could not be independently verified.",
    "It was not immediately clear how many people were affected.",
    "The announcement came a day after {office} {person} met counterparts in {city}.",
    "More than {num} people took part, according to the organizers.",
    "A spokesperson for {org} said the organization was monitoring the situation closely.",
    "The issue is expected to be on the agenda when ministers meet {when_future}.",
    "Similar measures were introduced in {country} last year.",
    "The figures are in line with estimates published by {org} earlier this year.",
    '"{quote}," {person} said.',
    '"{quote}," {person}, {role}, said {when}.',
    "Observers say the outcome will depend largely on {factor}.",
    "Local media reported that {local_event}.",
    "The ministry said it would publish a full report {when_future}.",
    "Opposition lawmakers called for an inquiry.",
    "The last comparable case dates back to {year}.",
    "{person} has held the post since {year}.",
    "Negotiations are expected to resume {when_future}.",
    "Authorities said they had opened an investigation.",
    "The proposal still needs the approval of parliament.",
    "Residents of {city} said they had been waiting for months for a decision.",
    "The program is funded in part by {org}.",
    "<strong>{person}</strong>, {role}, described the outcome as {assessment}.",
    "In {city}, {local_event}, according to witnesses.",
    "It is the {ordinal} such announcement this year.",
)
SHARED_POOLS: dict[str, tuple[str, ...]] = {
    "assessment": ('"encouraging"', '"disappointing"', '"a turning point"', '"unacceptable"'),
    "ordinal": ("second", "third", "fourth", "fifth", "sixth"),
}


@dataclass(frozen=True)
class SectionText:
    headlines: tuple[str, ...]
    sentences: tuple[str, ...]
    scenes: tuple[str, ...]
    pools: dict[str, tuple[str, ...]]


SECTION_TEXT: dict[str, SectionText] = {
    "ukraine": SectionText(
        headlines=(
            "Russian drone attack on {city} damages {target}, officials say",
            "Ukraine brings home {num} POWs in latest prisoner swap",
            "Air defense downs most drones launched at {oblast} overnight, Air Force says",
            "{office} {person} says talks on {aid} are progressing",
            "Power restored in parts of {oblast} after overnight strikes",
            "Zelensky signs law on {law}",
            "Evacuation expanded in {oblast} as fighting intensifies",
            "{city} council approves plan to {civic}",
            "Parliament votes to extend martial law and mobilization",
            "Missile strike on {city} kills {num}, injures dozens",
            "Ukraine receives new batch of {aid} from {country}",
            "Anti-corruption bureau charges former official in {oblast} over {scheme}",
        ),
        sentences=(
            "The attack on {city} damaged {target}, {person}, {role}, said in a statement.",
            "Emergency crews worked through the night to clear debris in {oblast}.",
            "Residents of {city} were urged to stay in shelters until the air raid alert ended.",
            "Ukraine's Air Force said it had intercepted most of the drones over {oblast}.",
            "Officials in {city} said repairs to {target} would take several weeks.",
            "The government has asked its partners for more {aid} ahead of the winter.",
            "Zelensky said {when} that Ukraine expected new deliveries of {aid} soon.",
            "Local authorities in {oblast} announced a mandatory evacuation of families with "
            "children.",
            "The State Emergency Service said {num} people had been rescued from the rubble.",
            "Prosecutors said the scheme involved {scheme}.",
            "Russian forces have intensified attacks near {frontline} in recent weeks.",
        ),
        scenes=(
            "Rescue workers clear debris outside a damaged apartment building",
            "Firefighters extinguish a blaze after a drone strike",
            "Workers repair power lines after an overnight attack",
            "Ukrainian soldiers train with a reconnaissance drone",
            "Released prisoners of war embrace relatives",
            "Residents shelter in a metro station during an air raid alert",
        ),
        pools={
            "target": (
                "an apartment building",
                "energy infrastructure",
                "a grain terminal",
                "a school",
                "a railway depot",
                "a warehouse",
                "several private houses",
                "a hospital",
            ),
            "oblast": (
                "Kharkiv Oblast",
                "Sumy Oblast",
                "Donetsk Oblast",
                "Zaporizhzhia Oblast",
                "Kherson Oblast",
                "Dnipropetrovsk Oblast",
                "Odesa Oblast",
                "Chernihiv Oblast",
            ),
            "aid": (
                "air defense systems",
                "long-range missiles",
                "artillery ammunition",
                "winter energy support",
                "armored vehicles",
                "de-mining equipment",
            ),
            "law": (
                "military mobilization",
                "anti-corruption courts",
                "energy market reform",
                "veterans' benefits",
                "digital identity documents",
                "the protection of cultural heritage",
            ),
            "civic": (
                "rebuild damaged schools",
                "expand bomb shelters",
                "rename streets",
                "modernize public transport",
                "restore heating networks",
            ),
            "scheme": (
                "inflated prices for military rations",
                "the embezzlement of reconstruction funds",
                "bribes for exemptions from mobilization",
                "fake energy contracts",
            ),
            "frontline": ("Pokrovsk", "Kupiansk", "Toretsk", "Chasiv Yar", "Vovchansk"),
        },
    ),
    "world": SectionText(
        headlines=(
            "{country} and {country2} sign agreement on {topic}",
            "Talks in {city} end without a deal on {topic}",
            "{country} to hold snap election in {month}",
            "UN Security Council meets on {crisis}",
            "{office} {person} arrives in {city} for talks on {topic}",
            "Thousands rally in {city} against {cause}",
            "{country} recalls ambassador from {country2} after diplomatic row",
            "Earthquake of magnitude {magnitude} strikes off the coast of {country}",
            "{country} expels diplomats over espionage allegations",
        ),
        sentences=(
            "The talks in {city} were the first at this level since {year}.",
            "Delegations from {country} and {country2} met behind closed doors.",
            "Protesters in {city} marched toward the parliament, chanting against {cause}.",
            "The UN has repeatedly warned about {crisis}.",
            "Diplomats said a compromise on {topic} remained out of reach.",
            "The earthquake was felt as far away as {city}, according to seismologists.",
        ),
        scenes=(
            "Delegations meet for talks",
            "Protesters hold flags during a rally",
            "Diplomats arrive for a summit",
            "Rescue teams search through rubble after an earthquake",
        ),
        pools={
            "topic": (
                "trade",
                "nuclear safety",
                "maritime security",
                "climate finance",
                "grain shipments",
                "sanctions enforcement",
                "refugee resettlement",
                "arms control",
            ),
            "crisis": (
                "the humanitarian situation in Sudan",
                "shipping attacks in the Red Sea",
                "the drought in the Horn of Africa",
                "tensions in the South China Sea",
            ),
            "cause": (
                "rising living costs",
                "a proposed judicial reform",
                "a new media law",
                "pension cuts",
                "the election results",
            ),
            "magnitude": ("5.8", "6.1", "6.4", "7.0"),
        },
    ),
    "europe": SectionText(
        headlines=(
            "EU agrees {ordinal_package} sanctions package against Russia",
            "{country} to raise defense spending to {pct} percent of GDP",
            "European Commission proposes new rules on {eu_topic}",
            "{country} elects new president in runoff",
            "Farmers block roads in {city} over {farm_issue}",
            "EU leaders meet in {city} to discuss {eu_topic}",
            "Moldova opens accession talks on {chapter}",
            "Far-right party gains in regional vote in {country}",
        ),
        sentences=(
            "EU ambassadors are expected to discuss {eu_topic} {when_future}.",
            "Farmers say {farm_issue} threatens their livelihoods.",
            "The package still needs unanimous approval from all 27 member states.",
            "Diplomats in Brussels said {country} had dropped its objections.",
            "The European Parliament voted in favor of the measure with a large majority.",
            "Talks on {chapter} are expected to take several years.",
        ),
        scenes=(
            "European leaders pose for a family photo at a summit",
            "Farmers drive tractors during a protest",
            "Voters cast ballots at a polling station",
            "Flags fly outside the European Commission headquarters",
        ),
        pools={
            "ordinal_package": ("15th", "16th", "17th", "18th"),
            "eu_topic": (
                "migration",
                "frozen Russian assets",
                "joint defense procurement",
                "energy prices",
                "the enlargement process",
                "artificial intelligence",
                "border security",
            ),
            "farm_issue": (
                "cheap grain imports",
                "new environmental rules",
                "falling prices",
                "fuel costs",
            ),
            "chapter": ("the rule of law", "public procurement", "energy", "the judiciary"),
        },
    ),
    "business": SectionText(
        headlines=(
            "{company} reports {pct} percent rise in quarterly profit",
            "Central bank holds key rate at {rate} percent",
            "Inflation slows to {pct} percent in {month}",
            "{company} to invest {money} in new plant near {city}",
            "Grain exports through Black Sea ports reach {num_big} tons",
            "{company} shares fall after {event}",
            "Government plans to sell its stake in {company}",
            "{company} signs {money} deal with {company2}",
        ),
        sentences=(
            "{company} said revenue rose thanks to {driver}.",
            "The central bank said inflation risks remained elevated.",
            "Analysts had expected the key rate to stay at {rate} percent.",
            "Exports of grain and oilseeds rose for the {ordinal} month in a row.",
            "Shares of {company} fell {pct} percent in early trading.",
            "The investment is expected to create about {num} jobs.",
            "{company} did not respond to a request for comment.",
        ),
        scenes=(
            "A container ship sails into port",
            "Farmers harvest wheat in a field",
            "Workers assemble equipment at a factory",
            "Traders work on the floor of a stock exchange",
        ),
        pools={
            "company": (
                "Northwind Energy",
                "Dnipro Steel",
                "Carpathian Logistics",
                "Baltic Freight",
                "Helios Grid",
                "Meridian Bank",
                "Zenit Agro",
                "Polaris Telecom",
                "Kestrel Airlines",
                "Vega Pharmaceuticals",
            ),
            "rate": ("13", "14.5", "15", "15.5", "16"),
            "money": ("$75 million", "$120 million", "€45 million", "€300 million", "$1.2 billion"),
            "event": (
                "a profit warning",
                "the departure of its chief executive",
                "a cyberattack on its systems",
                "weaker demand in Europe",
            ),
            "driver": (
                "strong export demand",
                "higher prices",
                "cost cuts",
                "new contracts abroad",
            ),
        },
    ),
    "culture": SectionText(
        headlines=(
            "{film} wins top prize at {festival}",
            "Museum in {city} reopens after {num} years of restoration",
            "Novelist {person} shortlisted for {prize}",
            "Theater festival in {city} draws record crowds",
            "Exhibition of {art} opens in {city}",
            "Orchestra from {city} begins European tour",
            "Documentary {film} to premiere at {festival}",
        ),
        sentences=(
            "The jury praised {film} for its restraint and its humor.",
            "The exhibition brings together more than {num} works of {art}.",
            "Tickets for the opening night sold out within hours.",
            "The festival, first held in {year}, has become one of the region's largest.",
            "{person}'s novel has been translated into more than {num} languages.",
            "Critics have described the production as {assessment}.",
        ),
        scenes=(
            "Visitors look at paintings at an exhibition",
            "Musicians perform on stage during a concert",
            "A director poses with an award on the red carpet",
            "Readers browse books at a literary festival",
        ),
        pools={
            "film": (
                "'The Long Winter'",
                "'Salt and Iron'",
                "'Border Lights'",
                "'Quiet Harbor'",
                "'After the Flood'",
                "'Sunflower Road'",
            ),
            "festival": (
                "the Berlinale",
                "the Cannes Film Festival",
                "the Venice Film Festival",
                "the Karlovy Vary festival",
                "the Odesa International Film Festival",
            ),
            "prize": (
                "the International Booker Prize",
                "the European Union Prize for Literature",
                "the Angelus Award",
            ),
            "art": (
                "avant-garde posters",
                "wartime photography",
                "Hutsul textiles",
                "modernist architecture",
                "contemporary Ukrainian painting",
            ),
        },
    ),
    "science": SectionText(
        headlines=(
            "Scientists in {city} develop {invention}",
            "Study finds {finding}",
            "Researchers map {mapped}",
            "{country} launches {spacecraft}",
            "New species of {species} discovered in {region}",
        ),
        sentences=(
            "The study was published in a peer-reviewed journal {when}.",
            "The team analyzed data collected over {num} years.",
            "Researchers caution that more work is needed before {invention} can be used widely.",
            "The findings suggest {finding}.",
            "The mission is expected to last at least {num} years.",
            "Scientists first noticed the {species} during a survey of {region}.",
        ),
        scenes=(
            "A scientist examines samples in a laboratory",
            "A rocket lifts off from the launch pad",
            "Researchers collect water samples on the coast",
            "Students work on a prototype at a university workshop",
        ),
        pools={
            "invention": (
                "a low-cost water filter",
                "a faster test for antibiotic resistance",
                "drone-based mine detection",
                "a battery that charges in minutes",
            ),
            "finding": (
                "Black Sea dolphins returning to coastal waters",
                "air pollution linked to poor sleep",
                "warming winters shrinking Carpathian snow cover",
                "crop yields rising after soil restoration",
            ),
            "mapped": (
                "the genome of a drought-resistant wheat variety",
                "radiation levels in the Chornobyl exclusion zone",
                "the seabed of the Black Sea",
                "ancient settlements with lidar",
            ),
            "spacecraft": (
                "an Earth observation satellite",
                "a lunar lander",
                "a weather satellite",
            ),
            "species": ("beetle", "orchid", "freshwater snail", "cave spider"),
            "region": (
                "the Carpathian Mountains",
                "the Danube Delta",
                "Polissia",
                "the Dnipro valley",
            ),
        },
    ),
    "opinion": SectionText(
        headlines=(
            "{claim}",
            "Why {subject} matters more than ever",
            "Europe cannot afford to {risk}",
            "The case for {case}",
            "What {country} gets wrong about {subject}",
        ),
        sentences=(
            "It is tempting to believe that {subject} can wait. It cannot.",
            "The lesson of the past decade is simple: hesitation is expensive.",
            "Those who argue for caution rarely spell out what it would cost.",
            "There is a better way, and it starts with {case}.",
            "We have been here before, in {year}, and the price of inaction was high.",
            "Nobody should pretend that {subject} is a luxury.",
        ),
        scenes=(
            "A view of the city skyline at dusk",
            "People walk past a mural in the city center",
            "Lawmakers attend a session of parliament",
        ),
        pools={
            "claim": (
                "Sanctions are working, but slowly",
                "The West must stop hoping for quick fixes",
                "Reconstruction should start now, not after the war",
                "Energy security is national security",
            ),
            "subject": (
                "air defense",
                "independent media",
                "local government",
                "energy independence",
                "the rule of law",
            ),
            "risk": (
                "look away",
                "wait another year",
                "ignore its eastern flank",
                "treat security as a budget line",
            ),
            "case": (
                "a European defense union",
                "using frozen Russian assets",
                "faster EU accession",
                "investing in local journalism",
            ),
        },
    ),
    "analysis": SectionText(
        headlines=(
            "What the {event} means for {stake}",
            "Explainer: How {explained} works",
            "Why {subject} is changing the war",
            "Five takeaways from the {event}",
            "Is {country} ready for what comes next?",
        ),
        sentences=(
            "To understand the {event}, it helps to look at {stake}.",
            "Experts interviewed for this article broadly agree on one point.",
            "The data tell a more complicated story.",
            "{subject} has evolved quickly since {year}.",
            "In practice, {explained} depends on a handful of decisions made in {city}.",
            "Three scenarios now look plausible.",
        ),
        scenes=(
            "Soldiers operate an air defense system",
            "A drone operator prepares for a flight",
            "Officials sign documents at a ceremony",
        ),
        pools={
            "event": (
                "latest round of talks",
                "new sanctions package",
                "NATO summit",
                "budget vote",
                "central bank decision",
                "prisoner exchange",
            ),
            "stake": (
                "the front line",
                "the economy",
                "energy security",
                "Europe's defense",
                "the next election",
            ),
            "explained": (
                "Ukraine's energy grid",
                "the EU accession process",
                "a prisoner exchange",
                "drone interception",
                "war risk insurance",
            ),
            "subject": (
                "cheap drone warfare",
                "electronic warfare",
                "long-range strikes",
                "Black Sea shipping",
            ),
        },
    ),
}
HEADINGS: tuple[str, ...] = (
    "What happened",
    "Background",
    "What's next",
    "Reaction",
    "The numbers",
    "Why it matters",
    "On the ground",
    "Context",
    "Key points",
    "International response",
)

# Stories in Ukrainian. Verbs about people are in the present tense, which has no gender.
UK_HEADLINES: dict[str, tuple[str, ...]] = {
    "ukraine": (
        "Нічна атака дронів: у {city_loc} пошкоджено {target}",
        "Україна повернула додому {num} захисників у межах обміну полоненими",
        "{office} {person}: переговори з партнерами щодо {aid} тривають",
        "У {city_loc} відновили електропостачання після нічної атаки",
        "Верховна Рада ухвалила закон про {law}",
    ),
    "business": (
        "Уряд виділив кошти на відбудову {object}",
        "Нацбанк зберіг облікову ставку на рівні {rate}%",
        "Інфляція в Україні сповільнилася до {pct}%",
    ),
    "culture": (
        "У {city_loc} відкрилася виставка {art}",
        "Український фільм отримав головну нагороду міжнародного кінофестивалю",
    ),
}
# Ukrainian stories, and the English ones they translate, come from these sections.
UK_SECTION_DRAW = ("ukraine",) * 7 + ("business",) * 2 + ("culture",)
UK_SENTENCES: tuple[str, ...] = (
    "Рятувальники працювали на місці всю ніч.",
    "Мешканців {city_gen} закликали залишатися в укриттях до завершення тривоги.",
    "Повітряні сили повідомили, що більшість дронів було збито.",
    "Відновлювальні роботи триватимуть кілька тижнів.",
    "Подробиці угоди поки що не оприлюднені.",
    "Як повідомляє {person}, {role}, рішення ухвалять {when_future}.",
    "Місцева влада оголосила обов'язкову евакуацію родин з дітьми.",
    "Уряд звернувся до партнерів з проханням пришвидшити постачання {aid}.",
    "Експерти очікують, що інфляція сповільниться {when_future}.",
    "Остаточне рішення має ухвалити парламент.",
    "Правоохоронці відкрили кримінальне провадження.",
    "Організатори кажуть, що захід відвідали понад {num} людей.",
    "«{quote}», — каже {person}.",
    "За даними <em>Укрінформу</em>, у {city_loc} пошкоджено {target}.",
    "Переговори мають продовжитися {when_future}.",
    "Як повідомляє {person}, ситуація залишається складною.",
    "Інформація про загиблих уточнюється.",
    "Енергетики попереджають про можливі відключення світла.",
    "Міжнародні партнери обіцяють продовжити підтримку.",
    "У {city_loc} тривають ремонтні роботи.",
    "Представники влади поки що не коментують ці дані.",
    "Рішення ще має затвердити Кабінет міністрів.",
    "Раніше подібний закон ухвалили у {year} році.",
)
UK_HEADINGS: tuple[str, ...] = ("Що сталося", "Контекст", "Що далі", "Реакція", "Цифри")
UK_POOLS: dict[str, tuple[str, ...]] = {
    "city_loc": (
        "Києві",
        "Харкові",
        "Одесі",
        "Львові",
        "Дніпрі",
        "Запоріжжі",
        "Сумах",
        "Херсоні",
        "Полтаві",
        "Чернігові",
    ),
    "city_gen": (
        "Києва",
        "Харкова",
        "Одеси",
        "Львова",
        "Дніпра",
        "Запоріжжя",
        "Сум",
        "Херсона",
        "Полтави",
        "Чернігова",
    ),
    "target": (
        "житловий будинок",
        "енергетичну інфраструктуру",
        "школу",
        "склад",
        "залізничне депо",
        "приватні будинки",
    ),
    "office": ("Міністр закордонних справ", "Прем'єр-міністр", "Міністр оборони"),
    "person": (
        "Олена Марчук",
        "Андрій Ковальчук",
        "Ірина Бондар",
        "Тарас Мельник",
        "Оксана Ткаченко",
        "Дмитро Савчук",
        "Наталія Гнатюк",
        "Сергій Лисенко",
    ),
    "role": (
        "речник міністерства",
        "голова обласної адміністрації",
        "народний депутат",
        "економіст",
        "радник президента",
    ),
    "aid": (
        "систем протиповітряної оборони",
        "артилерійських снарядів",
        "енергетичного обладнання",
        "далекобійних ракет",
    ),
    "law": (
        "мобілізацію",
        "енергетичний ринок",
        "захист культурної спадщини",
        "цифрові документи",
        "пільги для ветеранів",
    ),
    "object": ("шкіл", "лікарень", "мостів", "житла"),
    "art": ("сучасного українського живопису", "воєнної фотографії", "гуцульського текстилю"),
    "rate": ("13", "14,5", "15", "15,5"),
    "year": ("2016", "2018", "2019", "2021", "2022"),
    "pct": ("2,3", "4,5", "6,7", "8,9", "12,4"),
    "num": ("двісті", "триста", "тисячу", "п'ятсот"),
    "when_future": ("наступного тижня", "до кінця місяця", "найближчими днями", "цього року"),
    "quote": (
        "Ми продовжуємо працювати з партнерами",
        "Кожен день має значення",
        "Ми не можемо чекати",
        "Це важливий крок для всієї країни",
        "Люди мають знати правду",
    ),
}
_UK_LATIN = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "h",
        "ґ": "g",
        "д": "d",
        "е": "e",
        "є": "ie",
        "ж": "zh",
        "з": "z",
        "и": "y",
        "і": "i",
        "ї": "i",
        "й": "i",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ь": "",
        "ю": "iu",
        "я": "ia",
        "'": "",
        "’": "",
    }
)

EXTERNAL_SITES: tuple[tuple[str, str], ...] = (
    ("Reuters", "https://www.reuters.com/world/"),
    ("BBC News", "https://www.bbc.com/news/articles/"),
    ("The Guardian", "https://www.theguardian.com/world/"),
    ("Deutsche Welle", "https://www.dw.com/en/"),
    ("Politico Europe", "https://www.politico.eu/article/"),
    ("Associated Press", "https://apnews.com/article/"),
    ("Le Monde", "https://www.lemonde.fr/en/international/article/"),
)

# Weighted draws, written out once so that a draw is one `rng.choice`.
TYPE_DRAW = ("article",) * 86 + ("video",) * 8 + ("live",) * 2 + ("analysis",) * 3 + ("opinion",)
FEED_KIND_DRAW = ("news",) * 6 + ("video",) * 2 + ("breaking", "analysis")
SENTENCES_DRAW = (1, 1, 2, 2, 2, 2, 3, 3, 3, 4)
TAG_COUNT_DRAW = (0, 1, 1, 2, 2, 2, 3, 3, 4)
RELATED_COUNT_DRAW = (0, 0, 0, 1, 1, 1, 2, 2, 3)
BYLINE_DRAW = (1,) * 14 + (2,) * 4 + (3,) * 2

_SLOT = re.compile(r"\{([a-z_]+?)\d?\}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _fill(rng: random.Random, template: str, pools: Pools) -> str:
    """The template with each slot drawn from its pool, no value twice, first letter capital."""
    used: set[str] = set()

    def draw(match: re.Match[str]) -> str:
        pool = pools[match.group(1)]
        value = rng.choice(pool)
        for _ in range(5):
            if value not in used:
                break
            value = rng.choice(pool)
        used.add(value)
        return value

    text = _SLOT.sub(draw, template)
    return text[0].upper() + text[1:]


def _slugify(text: str, limit: int = 80) -> str:
    slug = _NOT_SLUG.sub("-", text.lower().translate(_UK_LATIN)).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "story"


@dataclass(frozen=True)
class Voice:
    """What a story is written with: one per English section, and one for Ukrainian."""

    language: str
    headlines: tuple[str, ...]
    sentences: tuple[str, ...]
    # Plain-text sentences on the story's own subject, for summaries and subheadlines.
    leads: tuple[str, ...]
    headings: tuple[str, ...]
    live_heading: str
    pools: Pools


def _voices() -> dict[str, Voice]:
    voices: dict[str, Voice] = {}
    for slug, text in SECTION_TEXT.items():
        pools = {
            **COMMON,
            **SHARED_POOLS,
            "city": tuple(city for city, _ in SECTION_PLACES[slug]),
            **text.pools,
        }
        voices[slug] = Voice(
            language="en",
            headlines=text.headlines,
            sentences=text.sentences + GENERAL_SENTENCES,
            leads=tuple(t for t in text.sentences if "<" not in t),
            headings=HEADINGS,
            live_heading="Update at {}",
            pools=pools,
        )
    voices["uk"] = Voice(
        language="uk",
        headlines=tuple(t for group in UK_HEADLINES.values() for t in group),
        sentences=UK_SENTENCES,
        leads=tuple(t for t in UK_SENTENCES if "<" not in t and "«" not in t),
        headings=UK_HEADINGS,
        live_heading="Оновлення о {}",
        pools=UK_POOLS,
    )
    return voices


VOICES = _voices()
COUNTRY_OF = {city: country for places in SECTION_PLACES.values() for city, country in places}
# Within one story, these pools shrink to a few values drawn for it: one city, a small cast.
BIND = {"city": 1, "oblast": 1, "person": 3, "company": 2, "country": 3, "film": 1, "festival": 1}
ALIGNED = ("city_loc", "city_gen")


def _bind(rng: random.Random, voice: Voice) -> Voice:
    """The voice of one story, whose places and people recur instead of changing each line."""
    pools = dict(voice.pools)
    for key, size in BIND.items():
        if key in pools:
            pools[key] = tuple(rng.sample(pools[key], size))
    if ALIGNED[0] in pools:
        pick = rng.randrange(len(pools[ALIGNED[0]]))
        for key in ALIGNED:
            pools[key] = (pools[key][pick],)
    return replace(voice, pools=pools)


def _insert(session: Session, model: type[SQLModel], rows: list[Row]) -> None:
    if rows:
        table: Any = model.__table__  # type: ignore[attr-defined]
        session.execute(insert(table), rows)


# ---------------------------------------------------------------------------------------------


@dataclass
class _Pending:
    """An English story of the current batch that a Ukrainian one may translate."""

    row: Row
    section: str
    photo_id: str | None
    at: datetime


class _Generator:
    def __init__(self, session: Session, *, count: int, seed: int) -> None:
        self.session = session
        self.rng = random.Random(seed)
        self.count = count
        self.start = ANCHOR - SPAN
        self.span_seconds = SPAN.total_seconds()
        self.real_now = datetime.now(UTC)
        existing = session.scalar(select(func.count()).select_from(Article)) or 0
        # Slugs end in a number counting on from the stories already there.
        self.serial = existing
        site = session.get(Site, 1)
        self.own_name = site.name if site else "Byline"
        self.section_ids: dict[str, str] = {}
        self.tag_ids: dict[str, str] = {}
        self.beat_authors: dict[str, list[str]] = {slug: [] for slug, _, _ in SECTIONS}
        self.person_ids: list[str] = []
        self.desk_ids: dict[str, str] = {}
        self.earlier: list[str] = []
        self.pending: list[_Pending] = []
        self.deck: list[str] = []
        self._reset_batch()
        sections = [slug for slug, _, _ in SECTIONS]
        self.section_draw = tuple(s for s in sections for _ in range(SECTION_WEIGHTS[s]))

    def _reset_batch(self) -> None:
        self.photos: list[Row] = []
        self.articles: list[Row] = []
        self.bylines: list[Row] = []
        self.tagging: list[Row] = []
        self.links: list[Row] = []
        self.feed: list[Row] = []
        self.pending = []

    # -- reference rows -------------------------------------------------------------------

    def _existing(self, model: Any, slugs: list[str]) -> dict[str, str]:
        rows = self.session.execute(select(model.slug, model.id).where(model.slug.in_(slugs)))
        return {slug: id_ for slug, id_ in rows}

    def ensure_references(self) -> None:
        """Look sections, tags and authors up by slug; create the missing ones."""
        made = ANCHOR - SPAN - timedelta(days=30)
        stamps = {"version": 1, "created_at": made, "updated_at": made}

        found = self._existing(Section, [slug for slug, _, _ in SECTIONS])
        new: list[Row] = []
        for position, (slug, name, description) in enumerate(SECTIONS, start=1):
            if slug not in found:
                found[slug] = new_id("sec")
                new.append(
                    {
                        "id": found[slug],
                        "slug": slug,
                        "name": name,
                        "description": description,
                        "position": position,
                        **stamps,
                    }
                )
        _insert(self.session, Section, new)
        self.section_ids = found

        slugs = {name: _slugify(name) for name in TAGS}
        found = self._existing(Tag, list(slugs.values()))
        new = []
        for name, slug in slugs.items():
            if slug not in found:
                found[slug] = new_id("tag")
                new.append(
                    {"id": found[slug], "slug": slug, "name": name, "description": None, **stamps}
                )
        _insert(self.session, Tag, new)
        self.tag_ids = {name: found[slug] for name, slug in slugs.items()}

        people = [_person(i) for i in range(len(FIRST_NAMES))]
        people_slugs = [_slugify(name) for name in people]
        found = self._existing(Author, people_slugs + [slug for slug, _, _ in DESKS])
        new = []
        for index, (name, slug) in enumerate(zip(people, people_slugs, strict=True)):
            beat = SECTIONS[index % len(SECTIONS)][0]
            if slug not in found:
                found[slug] = new_id("aut")
                title = BEAT_TITLES[beat]
                new.append(
                    {
                        "id": found[slug],
                        "slug": slug,
                        "name": name,
                        "kind": AuthorKind.person.value,
                        "job_title": title,
                        "bio": f"{name} is a {title.lower()} covering "
                        f"{SECTIONS[index % len(SECTIONS)][1].lower()} news.",
                        "avatar_url": f"{MEDIA_URL}/authors/{slug}.jpg",
                        "url": f"{SITE_URL}/authors/{slug}/",
                        **stamps,
                    }
                )
            self.beat_authors[beat].append(found[slug])
            self.person_ids.append(found[slug])
        for slug, name, bio in DESKS:
            if slug not in found:
                found[slug] = new_id("aut")
                new.append(
                    {
                        "id": found[slug],
                        "slug": slug,
                        "name": name,
                        "kind": AuthorKind.desk.value,
                        "job_title": None,
                        "bio": bio,
                        "avatar_url": None,
                        "url": f"{SITE_URL}/authors/{slug}/",
                        **stamps,
                    }
                )
            self.desk_ids[slug] = found[slug]
        _insert(self.session, Author, new)
        self.session.commit()

    # -- one story ------------------------------------------------------------------------

    def _sentence(self, voice: Voice) -> str:
        """The next sentence of the story: templates are dealt from a shuffled deck."""
        if not self.deck:
            self.deck = list(voice.sentences)
            self.rng.shuffle(self.deck)
        return _fill(self.rng, self.deck.pop(), voice.pools)

    def _plain(self, voice: Voice, n: int) -> str:
        """`n` different plain-text sentences on the subject of `voice`."""
        return " ".join(_fill(self.rng, t, voice.pools) for t in self.rng.sample(voice.leads, n))

    def _sentences(self, voice: Voice, n: int) -> str:
        return " ".join(self._sentence(voice) for _ in range(n))

    def _paragraph(self, voice: Voice) -> Row:
        return {
            "type": "paragraph",
            "html": self._sentences(voice, self.rng.choice(SENTENCES_DRAW)),
        }

    def _youtube(self) -> str:
        code = "".join(self.rng.choice(YOUTUBE_ALPHABET) for _ in range(11))
        return f"https://www.youtube.com/watch?v={code}"

    def _body(
        self, voice: Voice, kind: str, headline: str, at: datetime, related_id: str | None
    ) -> list[Row]:
        rng = self.rng
        mean = 16.0 if kind in ("analysis", "opinion") else 10.0
        paragraphs = min(40, 3 + int(rng.expovariate(1 / mean)))
        blocks = [self._paragraph(voice) for _ in range(paragraphs)]
        if kind == "live":
            # Newest update first, each above the paragraphs it brings.
            moment = at + timedelta(hours=rng.randint(2, 12))
            updates: list[tuple[int, Row]] = []
            for position in range(0, len(blocks), rng.randint(2, 3)):
                text = voice.live_heading.format(f"{moment:%H:%M}")
                updates.append((position, {"type": "heading", "level": 3, "text": text}))
                moment -= timedelta(minutes=rng.randint(10, 50))
            for position, heading in reversed(updates):
                blocks.insert(position, heading)
        elif paragraphs >= 8 and rng.random() < (0.6 if kind == "analysis" else 0.3):
            spots = sorted(rng.sample(range(2, paragraphs), min(3, rng.randint(1, 3))))
            for position in reversed(spots):
                text = rng.choice(voice.headings)
                blocks.insert(position, {"type": "heading", "level": 2, "text": text})
        if rng.random() < 0.2:
            quote: Row = {"type": "quote", "text": _fill(rng, "{quote}.", voice.pools)}
            if rng.random() < 0.9:
                quote["attribution"] = _fill(rng, "{person}, {role}", voice.pools)
            blocks.insert(rng.randint(1, len(blocks)), quote)
        if rng.random() < 0.08:
            items = [self._sentence(voice).rstrip(".") for _ in range(rng.randint(3, 6))]
            list_block = {"type": "list", "ordered": rng.random() < 0.3, "items": items}
            blocks.insert(rng.randint(1, len(blocks)), list_block)
        if kind == "video" or rng.random() < 0.06:
            title = (
                headline
                if kind == "video"
                else _fill(rng, rng.choice(voice.headlines), voice.pools)
            )
            embed = {"type": "embed", "provider": "youtube", "url": self._youtube(), "title": title}
            blocks.insert(0 if kind == "video" else rng.randint(1, len(blocks)), embed)
        if related_id is not None:
            position = rng.randint(min(2, len(blocks)), len(blocks))
            blocks.insert(position, {"type": "related", "related_id": related_id})
        return blocks

    def _photo(self, section: str, city: str, at: datetime) -> str:
        rng = self.rng
        country = COUNTRY_OF[city]
        scene = rng.choice(SECTION_TEXT[section].scenes)
        photographer = rng.choice(PHOTOGRAPHERS)
        agency = rng.choice(AGENCIES)
        width, height = (2000, 1333) if rng.random() < 0.6 else (1600, 900)
        photo_id = new_id("pho")
        day = f"{at:%B} {at.day}"
        caption = (
            f"{city.upper()}, {country.upper()} - {day.upper()}: {scene} in {city}, "
            f"{country}, on {day}, {at.year}."
        )
        holder = agency or self.own_name
        self.photos.append(
            {
                "id": photo_id,
                "url": f"{MEDIA_URL}/photos/{photo_id}.jpg",
                "caption": caption,
                "credit": f"Photo by {photographer}/{holder}",
                "photographer": photographer,
                "agency": agency,
                "alt_text": f"{scene} in {city}",
                "width": width,
                "height": height,
                "mime_type": "image/jpeg",
                "copyright_holder": holder,
                "usage_terms": STAFF_TERMS if agency is None else AGENCY_TERMS,
                "syndication_allowed": agency is None,
                "renditions": [
                    {
                        "width": w,
                        "height": round(w * height / width),
                        "url": f"{MEDIA_URL}/photos/{photo_id}/{w}.jpg",
                    }
                    for w in RENDITION_WIDTHS
                    if w <= width
                ],
                "version": 1,
                "created_at": at,
                "updated_at": at,
            }
        )
        return photo_id

    def _related(self, article_id: str, at: datetime) -> list[str]:
        rng = self.rng
        ids: list[str] = []
        targets: set[str] = set()
        for position in range(rng.choice(RELATED_COUNT_DRAW)):
            link: Row = {
                "id": new_id("rel"),
                "article_id": article_id,
                "position": position,
                "target_article_id": None,
                "url": None,
                "title": None,
                "summary": None,
                "site_name": None,
                "inline": position == 0,
                "created_at": at,
            }
            target = None
            if self.earlier and rng.random() < 0.8:
                # Mostly a recent story, sometimes an older one.
                recent = rng.random() < 0.7
                pick = rng.randrange(
                    max(0, len(self.earlier) - 300) if recent else 0, len(self.earlier)
                )
                target = self.earlier[pick]
            if target is not None and target not in targets:
                targets.add(target)
                link["target_article_id"] = target
            else:
                site_name, base = rng.choice(EXTERNAL_SITES)
                english = VOICES[rng.choice(self.section_draw)]
                title = _fill(rng, rng.choice(english.headlines), english.pools)
                link.update(
                    url=f"{base}{_slugify(title, 60)}-{rng.randrange(10**6, 10**7)}",
                    title=title,
                    summary=self._plain(english, 1),
                    site_name=site_name,
                )
            self.links.append(link)
            ids.append(link["id"])
        return ids

    def _byline(self, article_id: str, section: str, kind: str) -> None:
        rng = self.rng
        if rng.random() < 0.12 or (kind == "video" and rng.random() < 0.5):
            desk = "video-desk" if kind == "video" else "news-desk"
            authors = [(self.desk_ids[desk], "author")]
        else:
            n = rng.choice(BYLINE_DRAW)
            beat = self.beat_authors[section]
            pool = beat if beat and rng.random() < 0.7 and len(beat) >= n else self.person_ids
            chosen = rng.sample(pool, n)
            authors = [(a, "author") for a in chosen]
            if rng.random() < 0.1:
                extra = rng.choice(self.person_ids)
                if extra not in chosen:
                    authors.append((extra, "contributor"))
        self.bylines.extend(
            {"article_id": article_id, "author_id": author, "position": i, "role": role}
            for i, (author, role) in enumerate(authors)
        )

    def _tags(self, article_id: str, section: str) -> None:
        rng = self.rng
        chosen: list[str] = []
        for _ in range(rng.choice(TAG_COUNT_DRAW)):
            name = rng.choice(SECTION_TAGS[section] if rng.random() < 0.75 else TAGS)
            if name not in chosen:
                chosen.append(name)
        self.tagging.extend(
            {"article_id": article_id, "tag_id": self.tag_ids[name], "position": i}
            for i, name in enumerate(chosen)
        )

    def article(self, index: int) -> None:
        rng = self.rng
        at = self.start + timedelta(
            seconds=int(self.span_seconds * (index + rng.random()) / self.count)
        )
        article_id = new_id("art")
        language = "uk" if rng.random() < 0.05 else "en"
        section = rng.choice(UK_SECTION_DRAW if language == "uk" else self.section_draw)
        if section == "opinion":
            kind = "opinion" if rng.random() < 0.9 else "article"
        elif section == "analysis":
            kind = "analysis" if rng.random() < 0.85 else "article"
        else:
            kind = rng.choice(TYPE_DRAW)
        translation_group: str | None = None
        photo_id: str | None = None
        source: _Pending | None = None
        if language == "uk" and rng.random() < 0.6:
            # A version of a recent English story, published up to two days after it.
            recent = [i for i, p in enumerate(self.pending) if p.at >= at - timedelta(days=2)]
            if recent:
                source = self.pending.pop(rng.choice(recent))
                section, kind, photo_id = source.section, source.row["type"], source.photo_id
                translation_group = source.row["translation_group"] = source.row["id"]
        voice = _bind(rng, VOICES["uk" if language == "uk" else section])
        headlines = UK_HEADLINES[section] if language == "uk" else voice.headlines
        self.deck = []
        if "city" in voice.pools:
            city = voice.pools["city"][0]
        else:
            city = rng.choice(SECTION_PLACES[section])[0]

        roll = rng.random()
        status = (
            ArticleStatus.published
            if roll < 0.94
            else ArticleStatus.draft
            if roll < 0.97
            else ArticleStatus.scheduled
            if roll < 0.99
            else ArticleStatus.unpublished
        )
        created = at - timedelta(minutes=rng.randint(15, 600))
        published: datetime | None = at
        first_published: datetime | None = at
        embargo: datetime | None = None
        if kind == "live":
            updated = at + timedelta(hours=rng.randint(2, 14))
        elif rng.random() < 0.3:
            updated = at + timedelta(minutes=rng.randint(5, 60 * 48))
        else:
            updated = at
        if status is ArticleStatus.draft:
            published = first_published = None
            created, updated = at, at + timedelta(minutes=rng.randint(1, 240))
        elif status is ArticleStatus.scheduled:
            published = self.real_now + timedelta(
                days=rng.randint(1, 21), minutes=rng.randint(0, 1439)
            )
            first_published = None
            created, updated = at, at + timedelta(minutes=rng.randint(1, 240))
        elif status is ArticleStatus.unpublished:
            updated = at + timedelta(days=rng.randint(1, 30))
        elif rng.random() < 0.04:
            embargo = at.replace(minute=0, second=0)
        live_since = at if first_published is not None else created
        updated = max(min(updated, ANCHOR), live_since)

        headline = _fill(rng, rng.choice(headlines), voice.pools)
        self.serial += 1
        slug = f"{_slugify(headline)}-{self.serial}"
        subheadline = self._plain(voice, 1) if rng.random() < 0.35 else None
        summary = self._plain(voice, rng.choice((1, 1, 2)))
        if source is None and rng.random() < 0.85:
            photo_id = self._photo(section, city, at)
        related = self._related(article_id, created)
        blocks = self._body(voice, kind, headline, at, related[0] if related else None)
        row: Row = {
            "id": article_id,
            "slug": slug,
            "type": kind,
            "status": status.value,
            "headline": headline,
            "subheadline": subheadline,
            "dateline": city.upper() if language == "en" and rng.random() < 0.4 else None,
            "summary": summary,
            "language": language,
            "section_id": self.section_ids[section],
            "lead_photo_id": photo_id,
            **body_columns(blocks),
            "canonical_url": f"{SITE_URL}/{section}/{slug}/",
            "translation_group": translation_group,
            "published_at": published,
            "first_published_at": first_published,
            "embargo_until": embargo,
            "version": 1,
            "created_at": created,
            "updated_at": updated,
        }
        self.articles.append(row)
        self._byline(article_id, section, kind)
        self._tags(article_id, section)
        if status is ArticleStatus.published:
            self.earlier.append(article_id)
            if language == "en" and translation_group is None and section in UK_HEADLINES:
                self.pending.append(_Pending(row, section, photo_id, at))
                del self.pending[:-50]
        if (index + 1) % 10 == 0:
            self._feed_entry(row, section, at)

    def _feed_entry(self, article: Row, section: str, at: datetime) -> None:
        rng = self.rng
        when = min(at + timedelta(minutes=rng.randint(0, 90)), ANCHOR)
        kind = rng.choice(FEED_KIND_DRAW)
        linked = article["status"] == ArticleStatus.published.value and rng.random() < 0.4
        voice = VOICES[section]
        url: str | None = None
        if linked:
            title, summary, url = article["headline"], article["summary"], article["canonical_url"]
        else:
            title = _fill(rng, rng.choice(voice.headlines), voice.pools)
            summary = self._plain(voice, rng.choice((1, 2)))
            if kind == "video":
                url = self._youtube()
        published = rng.random() < 0.98
        self.feed.append(
            {
                "id": new_id("fe"),
                "kind": kind,
                "status": (ArticleStatus.published if published else ArticleStatus.draft).value,
                "title": title if title.endswith(("?", "!")) else f"{title}.",
                "summary": summary,
                "url": url,
                "article_id": article["id"] if linked else None,
                "published_at": when if published else None,
                "version": 1,
                "created_at": when,
                "updated_at": when,
            }
        )

    # -- writing --------------------------------------------------------------------------

    def _free_slugs(self) -> None:
        """Rename, in the rare case, stories whose slug the database already holds."""
        rows = {row["slug"]: row for row in self.articles}
        taken = set(self.session.scalars(select(Article.slug).where(Article.slug.in_(list(rows)))))
        for slug in sorted(taken):
            row = rows[slug]
            old_url = row["canonical_url"]
            n = 2
            while f"{slug}-{n}" in rows or self.session.scalar(
                select(Article.id).where(Article.slug == f"{slug}-{n}")
            ):
                n += 1
            row["slug"] = f"{slug}-{n}"
            row["canonical_url"] = old_url.removesuffix(f"{slug}/") + f"{row['slug']}/"
            for entry in self.feed:
                if entry["url"] == old_url:
                    entry["url"] = row["canonical_url"]

    def flush(self) -> None:
        if not self.articles:
            return
        self._free_slugs()
        _insert(self.session, Photo, self.photos)
        _insert(self.session, Article, self.articles)
        _insert(self.session, ArticleAuthor, self.bylines)
        _insert(self.session, ArticleTag, self.tagging)
        _insert(self.session, RelatedLink, self.links)
        _insert(self.session, FeedEntry, self.feed)
        self.session.commit()
        self._reset_batch()


def generate(session: Session, *, count: int, seed: int = 2025) -> None:
    """Add `count` varied, realistic news articles, for volume tests and benchmarks.

    Sections, tags and authors (30 people, 2 desks) are reused by slug or created. Each
    story gets a byline, tags, usually a lead photo, sometimes related links (the first
    one placed in the body) and, for about 5%, a Ukrainian version or original. Stories
    spread over the two years before 1 June 2025; about 94% are published, the rest draft,
    scheduled (relative to the real clock) or unpublished. One News Feed entry is added per
    ten stories. Content, slugs and times depend only on `seed` and the number of stories
    already in the database; ids differ from run to run. Rows are written in batches of
    1,000 with one commit each, so memory stays flat at any `count`.
    """
    if count <= 0:
        return
    generator = _Generator(session, count=count, seed=seed)
    generator.ensure_references()
    for index in range(count):
        generator.article(index)
        if len(generator.articles) >= BATCH:
            generator.flush()
    generator.flush()
