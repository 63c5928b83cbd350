"""Names and words for generated patients: varied enough that a name search selects
a realistic share of a large clinic (a few hundred last names, a hundred first names)."""

_FIRST_F = """
Anna Sofia Maria Chloe Leila Yuki Grace Ines Nadia Hannah Olga Fatima Claire Lucia Priya Zoe
Emily Aisha Marta Elena Julia Laura Sara Camille Lea Manon Alice Louise Emma Jade Mila Nora
Ava Isla Freya Ella Amelia Olivia Mia Lena Hana Mei Aiko Rina Noor Yasmin Amira Leyla Selin
Defne Ewa Zofia Agata Ilse Greta Sanne Fleur Eva Rosa Carmen Pilar Beatriz Joana Rita Ana
"""
_FIRST_M = """
James Omar Luca Daniel Hiro Mateo Samuel Ivan Karim Tom Lucas Hugo Louis Noah Leo Jakub
Piotr Jan Lars Erik Ali Yusuf Kenji Ravi Arjun Diego Pablo Marco Paulo Tiago
"""
_LAST = """
García Smith Müller Rossi Nguyen Kowalski Dubois Haddad Tanaka O'Brien Silva Novak Ahmed
Jensen López Martin Costa Papadopoulos Okafor Fischer Moreno Kim Bianchi Petrov Schmidt
Schneider Meyer Weber Wagner Becker Hoffmann Schulz Koch Richter Klein Wolf Neumann Schwarz
Zimmermann Braun Hofmann Hartmann Lange Werner Krause Lehmann Köhler Herrmann Walter Mayer
Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Keller Vogel Friedrich Roth Beck
Lorenz Baumann Franke Albrecht Ludwig Winter Simon Kraus Böhm Schuster Bernard Thomas Petit
Robert Richard Durand Leroy Moreau Laurent Lefebvre Michel Garcia David Bertrand Roux
Vincent Fournier Morel Girard André Mercier Dupont Lambert Bonnet François Martinez Legrand
Garnier Faure Rousseau Blanc Guerin Muller Henry Roussel Nicolas Perrin Morin Mathieu
Clement Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Gerard Nguyen Boyer
Denis Lemaire Duval Joly Gautier Roger Roche Roy Noel Meyer Lucas Meunier Jean Perez
Marchand Dufour Blanchard Marie Barbier Brun Dumas Brunet Schmitt Leroux Colin Fernandez
Pierre Renard Arnaud Rolland Caron Aubert Giraud Leclerc Vidal Bourgeois Renaud Lemoine
Picard Gaillard Philippe Leclercq Lacroix Fabre Dupuis Olivier Rodriguez Da Hubert Louis
Charles Guillot Riviere Le Guillaume Adam Rey Moulin Gonzalez Berger Lecomte Menard Fleury
Deschamps Carpentier Julien Benoit Paris Maillard Marchal Aubry Vasseur Hernandez Johnson
Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson White Harris Thompson
Young Allen King Wright Scott Torres Hill Flores Green Adams Nelson Baker Hall Rivera
Campbell Mitchell Carter Roberts Rossi Russo Ferrari Esposito Romano Colombo Ricci Marino
Greco Bruno Gallo Conti DeLuca Mancini Costa Giordano Rizzo Lombardi Moretti Sato Suzuki
Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki Yamaguchi
Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe Ikeda Hashimoto Yamashita Ishikawa
Nakajima Maeda Fujita Ogawa Goto Okada Hasegawa Murakami Kondo Ishii Saito Sakamoto Endo
Aoki Fujii Nishimura Fukuda Ota Miura Fujiwara Okamoto Matsuda Nakagawa Nakano Harada Ono
Tamura Takeuchi Kaneko Wada Nowak Wisniewski Wojcik Kowalczyk Kaminski Lewandowski Zielinski
Szymanski Wozniak Dabrowski Kozlowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski
Grabowski Nowakowski Pawlowski Michalski Nowicki Adamczyk Dudek Zajac Wieczorek Jablonski
Krol Majewski Olszewski Jaworski Yilmaz Kaya Demir Sahin Celik Yildiz Yildirim Ozturk Aydin
Ozdemir Arslan Dogan Kilic Aslan Cetin Kara Koc Kurt Ozkan Simsek Hansen Johansen Olsen
Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen Johnsen Pettersen Eriksen Berg
Haugen Hagen Johannessen
"""
FIRST_F = _FIRST_F.split()
FIRST_M = _FIRST_M.split()
LAST = list(dict.fromkeys(_LAST.split()))

OCCUPATIONS = [
    "Teacher",
    "Nurse",
    "Software developer",
    "Retail manager",
    "Lawyer",
    "Chef",
    "Accountant",
    "Flight attendant",
    "Architect",
    "Student",
    "Retired",
    "Hairdresser",
    "Engineer",
    "Designer",
]
STREETS = ["Rue Exemple", "Main Street", "Station Road", "Kirchweg", "Via Roma", "Calle Mayor"]
CITIES = ["Springfield", "Rivertown", "Lakeside", "Hillview", "Oldbridge", "Newport"]
