/*
 * Name pools for synthetic patients, grouped so that given and family names usually come from the
 * same tradition, and weighted roughly like a mixed English town. Diacritics and apostrophes are
 * deliberate: demo data should exercise them.
 */
export interface NamePool {
  readonly weight: number;
  readonly female: readonly string[];
  readonly male: readonly string[];
  readonly family: readonly string[];
}

/** Whitespace-separated words, so long lists stay readable (no entry contains a space). */
function words(list: string): readonly string[] {
  return list.trim().split(/\s+/);
}

export const NAME_POOLS: readonly NamePool[] = [
  {
    weight: 70,
    female: words(`
      Olivia Amelia Isla Emily Sophie Charlotte Jessica Hannah Lucy Chloe Megan Rebecca Sarah Laura
      Claire Helen Rachel Karen Susan Margaret Patricia Jean Dorothy Joan Brenda Sheila Eileen Siobhan
      Niamh Aoife Catrin Ffion Eilidh Morag Gwen Poppy Ruby Freya`),
    male: words(`
      Oliver George Harry Jack Noah Thomas James William Daniel Matthew Ryan Liam Connor Callum Gareth
      Rhys Dylan Iain Hamish Andrew David Paul Mark Stephen Peter Michael John Robert Brian Kenneth Derek
      Colin Ronald Seamus Ciarán Alfie Arthur`),
    family: words(`
      Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White
      Roberts Green Hall Wood Jackson Clarke Hughes Edwards Lewis Harris Turner Morgan Price Griffiths
      Campbell MacDonald Stewart Murray Fraser O'Brien Murphy Kelly Byrne Doyle Gallagher Pritchard Ellis
      Marsh Holloway Ashworth Pearson Llewellyn Fitzgerald Sutcliffe Hargreaves Barker`),
  },
  {
    weight: 10,
    female: words(
      `Priya Aisha Fatima Zara Ananya Simran Nusrat Sana Harpreet Meera Shabana Rukhsana Anjali Noor`,
    ),
    male: words(
      `Mohammed Arjun Rohan Imran Hassan Aarav Sanjay Rajesh Bilal Harjit Tariq Vikram Abdul Kamal`,
    ),
    family: words(`
      Patel Khan Ahmed Hussain Singh Shah Ali Chaudhry Sharma Rahman Iqbal Mistry Gill Islam Desai Malik
      Choudhury Sandhu`),
  },
  {
    weight: 6,
    female: words(`Abena Chioma Ngozi Amara Adaeze Folake Shanice Tanisha Keisha Hodan Ayan Grace Blessing`),
    male: words(`
      Kwame Chinedu Oluwaseun Tunde Kofi Emeka Jermaine Marcus Tyrone Abdirahman Mohamed Samuel Joshua`),
    family: words(`
      Okafor Adeyemi Mensah Osei Boateng Okonkwo Adebayo Francis Reid Grant Warsame Abdi Asante Eze
      Campbell Henry`),
  },
  {
    weight: 5,
    female: words(`Zofia Agnieszka Katarzyna Ioana Elena Kristina Marta Eszter`),
    male: words(`Jakub Piotr Tomasz Andrei Mihai Lukas Marek Bence`),
    // Family names that do not change form with gender.
    family: words(`Nowak Wójcik Kaczmarek Mazur Popescu Ionescu Dumitru Horváth Nagy Tóth`),
  },
  {
    weight: 3,
    female: words(`Mei Xin Ying Hui Jia Lin`),
    male: words(`Wei Jun Hao Ming Kai Jian`),
    family: words(`Chen Wang Li Zhang Wong Cheung Liu Lam Yeung Ho`),
  },
  {
    weight: 3,
    female: words(`Layla Mariam Yasmin Rania Huda Noura`),
    male: words(`Omar Yusuf Karim Ibrahim Khalid Ahmad`),
    family: words(`Haddad Mansour Saleh Nasser Hamdan Al-Sayed`),
  },
  {
    weight: 2,
    female: words(`Elif Zeynep Ayşe Emine`),
    male: words(`Mehmet Ahmet Emre Mustafa`),
    family: words(`Yılmaz Kaya Demir Şahin Çelik Öztürk`),
  },
];

export const STREET_NAMES: readonly string[] = [
  'Church Lane',
  'Station Road',
  'High Street',
  'Victoria Road',
  'Mill Lane',
  'Park Avenue',
  'Queens Road',
  'Manor Close',
  'Orchard Way',
  'The Crescent',
  'Meadow View',
  'Chapel Street',
  'Albert Terrace',
  'Windsor Drive',
  'Beech Grove',
  'Oak Tree Close',
  'Riverside Walk',
  'Ashfield Road',
  'Hawthorn Avenue',
  'Kingsway',
  'Nelson Street',
  'Coronation Road',
  'Elm Court',
  'Willow Gardens',
  'Tannery Row',
  'Foundry Street',
];

export const BUILDING_NAMES: readonly string[] = [
  'Harbour House',
  'Kingfisher Court',
  'Millstream Apartments',
  'St Anne’s Court',
  'Weavers Yard',
];
